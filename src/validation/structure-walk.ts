// One walk of a resource against its type or profile schema: structure, cardinality, primitive formats, slices and invariants, with the project's element checks on the way. https://hl7.org/fhir/R4/validation.html
import type { Constraint, FhirPathAtom, InternalSchemaElement, InternalTypeSchema, SlicingRules, TypedValue, TypedValueWithPath } from '@medplum/core';
import {
  UCUM,
  arrayify,
  evalFhirPathTyped,
  fhirTypeToJsType,
  getDataType,
  getNestedProperty,
  getTypedPropertyValue,
  isEmpty,
  isPrimitiveType,
  isResource,
  matchDiscriminant,
  parseFhirPath,
  toTypedValue,
  validationRegexes,
} from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { ElementCheckContext, ElementKey } from './element-checks.js';
import { elementVisitor, keysOf, presentMarks } from './element-checks.js';

/*
 * Why this walk exists: @medplum/core's validator asks every element of the schema for its value, on every object
 * (a profile schema has hundreds), and the element checks walked the resource a second time. This walk visits the
 * elements an object has, plus the required ones, and does both jobs in one pass. It reports the same issues, in
 * medplum's wording, so medplum-issues.ts translates both alike; structure-walk.test.ts compares the two on
 * generated and mutated resources.
 */

type PropertyValue = TypedValueWithPath | TypedValueWithPath[];

/** Constraint keys not evaluated: ele-1 holds by construction of the JSON, dom-3 needs descendants(), org-1 and sdf-19 are back-compat. */
const SkippedConstraints = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);
const IntegerTypes = new Set(['integer', 'positiveInt', 'unsignedInt']);
const MaxString = 1024 * 1024;
const JsTypes: Record<string, string> = fhirTypeToJsType;
const Ucum = toTypedValue(UCUM);

interface Entry extends ElementKey {
  element: InternalSchemaElement;
  required: boolean;
  /** A plain key with one non-Resource type, read straight from the object when it has no `_key` part. */
  simpleType?: string;
  /** Every type of the element is complex: a `_key` twin is not FHIR JSON here (only primitives have one). */
  complex: boolean;
}

interface Plan {
  entries: Entry[];
  /** Keys of elements whose every type is complex (see Entry.complex). */
  complexKeys: Set<string>;
  /** Per object key: the choice element it belongs to (`value[x]`), or '' when none. */
  choiceOf: Map<string, string>;
}

const plans = new WeakMap<InternalTypeSchema, Plan>();

function planOf(schema: InternalTypeSchema): Plan {
  let plan = plans.get(schema);
  if (!plan) {
    const entries = keysOf(schema).map((k): Entry => {
      const element = schema.elements[k.key];
      const last = element.path.slice(element.path.lastIndexOf('.') + 1);
      const single = element.type?.length === 1 ? element.type[0].code : undefined;
      const simple = !k.choice && !k.key.includes('.') && last === k.key && single !== undefined && single !== 'Resource';
      const complex = !k.key.includes('.') && (element.type?.length ?? 0) > 0 && element.type.every((t) => !isPrimitiveType(t.code));
      return { ...k, element, required: element.min > 0, simpleType: simple ? single : undefined, complex };
    });
    plan = { entries, complexKeys: new Set(entries.filter((e) => e.complex).map((e) => e.key)), choiceOf: new Map() };
    plans.set(schema, plan);
  }
  return plan;
}

const atoms = new WeakMap<Constraint, FhirPathAtom>();

function atomOf(constraint: Constraint): FhirPathAtom {
  let atom = atoms.get(constraint);
  if (!atom) {
    atom = parseFhirPath(constraint.expression);
    atoms.set(constraint, atom);
  }
  return atom;
}

function issue(severity: 'error' | 'warning', code: 'structure' | 'invariant' | 'processing', text: string, expression: string, data?: Record<string, unknown>): OperationOutcomeIssue {
  return { severity, code, details: { text }, expression: [expression], ...(data ? { diagnostics: JSON.stringify(data) } : {}) };
}

const structure = (expression: string, text: string): OperationOutcomeIssue => issue('error', 'structure', text, expression);

export interface StructureWalkResult {
  /** Issues in @medplum/core's wording (translated by medplum-issues.ts). */
  structure: OperationOutcomeIssue[];
  /** The element checks' own issues (element-checks.ts). */
  elements: OperationOutcomeIssue[];
}

/** Walks `resource` as `typeKey` (a resource type, or a profile's key in medplum's type registry). */
export function walkStructure(resource: Resource, typeKey: string, ctx: ElementCheckContext): StructureWalkResult {
  const schema = getDataType(typeKey);
  const out: OperationOutcomeIssue[] = [];
  const elementIssues: OperationOutcomeIssue[] = [];
  const checks = elementVisitor(elementIssues, ctx);
  const root: TypedValue = { type: typeKey, value: resource };
  const resources: unknown[] = [resource];
  const rootResource = isResource(resource) ? root : undefined;

  function constraintsCheck(value: TypedValueWithPath, constraints: Constraint[] | undefined): void {
    if (!constraints) return;
    for (const constraint of constraints) {
      if (constraint.severity !== 'error' || SkippedConstraints.has(constraint.key)) continue;
      const variables: Record<string, TypedValue> = { '%context': value, '%ucum': Ucum, '%resource': toTypedValue(resources[resources.length - 1]) };
      if (rootResource) variables['%rootResource'] = rootResource;
      let holds: boolean;
      try {
        const result = evalFhirPathTyped(atomOf(constraint), [value], variables);
        holds = result.length === 1 && result[0].value === true;
      } catch (err) {
        out.push(issue('error', 'processing', 'Error evaluating invariant expression', value.path, { fhirpath: constraint.expression, error: err }));
        holds = false;
      }
      if (!holds) {
        out.push(issue('error', 'invariant', `Constraint ${constraint.key} not met: ${constraint.description}`, value.path, { fhirpath: constraint.expression }));
        return;
      }
    }
  }

  function validatePrimitive(v: TypedValueWithPath): void {
    let primitive: TypedValue | undefined = v;
    let extension: TypedValue | undefined;
    if (typeof v.value === 'object' && v.value) {
      // medplum boxes a primitive that has a `_key` part: the box carries the id and extensions as own properties
      const unboxed = v.value.valueOf();
      if (unboxed === v.value) {
        primitive = undefined;
        extension = { type: 'Element', value: v.value };
      } else {
        const own = new Set(Object.keys(unboxed));
        const rest = Object.entries(v.value as object).filter(([k]) => !own.has(k));
        primitive = { type: v.type, value: unboxed };
        extension = { type: 'Element', value: rest.length > 0 ? Object.fromEntries(rest) : undefined };
      }
    }
    if (primitive) {
      const { type, value } = primitive;
      const expected = JsTypes[type];
      if (!expected) {
        out.push(structure(v.path, `Invalid JSON type: ${type} is not a valid FHIR type`));
        return;
      }
      if (typeof value !== expected) {
        if (value !== null) out.push(structure(v.path, `Invalid JSON type: expected ${expected}, but got ${typeof value}`));
        return;
      }
      if (expected === 'string') {
        const s = value as string;
        if (!s.trim()) out.push(structure(v.path, 'String must contain non-whitespace content'));
        else if (s.length > MaxString) out.push(structure(v.path, 'String cannot be larger than 1 MB'));
        else if (validationRegexes[type] && !validationRegexes[type].test(s)) out.push(structure(v.path, `Invalid ${type} format`));
      } else if (expected === 'number') {
        const n = value as number;
        if (Number.isNaN(n) || !Number.isFinite(n)) out.push(structure(v.path, 'Invalid numeric value'));
        else if (IntegerTypes.has(type) && !Number.isInteger(n)) out.push(structure(v.path, 'Expected number to be an integer'));
        else if (type === 'positiveInt' && n <= 0) out.push(structure(v.path, 'Expected number to be positive'));
        else if (type === 'unsignedInt' && n < 0) out.push(structure(v.path, 'Expected number to be non-negative'));
      }
    }
    if (extension) {
      // A primitive's id and extensions are an Element; the element checks never looked inside primitives.
      walkObject({ ...extension, path: v.path }, getDataType('Element'), v.path, false);
    }
  }

  function sliceOf(value: TypedValue, slicing: SlicingRules): string | undefined {
    for (const slice of slicing.slices) {
      if (slicing.discriminator.every((d) => arrayify(getNestedProperty(value, d.path))?.some((x) => matchDiscriminant(x, d, slice)))) return slice.name;
    }
    return undefined;
  }

  function visitProperty(entry: Entry, path: string, propertyValues: PropertyValue[]): void {
    const element = entry.element;
    for (const value of propertyValues) {
      if (!Array.isArray(value) && value.value === undefined) {
        if (element.min > 0) out.push(structure(value.path, 'Missing required property'));
        return;
      }
      if (isEmpty(value)) {
        out.push(structure(path, 'Invalid empty value'));
        return;
      }
      let values: TypedValueWithPath[];
      if (element.isArray) {
        if (!Array.isArray(value)) {
          out.push(structure(path, 'Expected array of values for property'));
          return;
        }
        values = value;
      } else {
        if (Array.isArray(value)) {
          out.push(structure(path, 'Expected single value for property'));
          return;
        }
        values = [value];
      }
      if (values.length < element.min || values.length > element.max) {
        const max = Number.isFinite(element.max) ? element.max : '*';
        out.push(structure(element.path, `Invalid number of values: expected ${element.min}..${max}, but found ${values.length}`));
      }
      // fixed and pattern are compared per value by the element checks, which name the failing repetition
      const slicing = element.slicing;
      const counts = slicing ? new Map(slicing.slices.map((s) => [s.name, 0])) : undefined;
      for (const v of values) {
        constraintsCheck(v, element.constraints);
        if (isPrimitiveType(v.type)) validatePrimitive(v);
        else if (isEmpty(v.value)) out.push(structure(v.path, 'Invalid empty non-primitive value'));
        if (slicing && counts) {
          const name = sliceOf(v, slicing);
          if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
        }
      }
      if (slicing && counts) {
        for (const slice of slicing.slices) {
          const n = counts.get(slice.name) ?? 0;
          if (n < slice.min || n > slice.max) {
            const max = Number.isFinite(slice.max) ? slice.max : '*';
            out.push(structure(path, `Incorrect number of values provided for slice '${slice.name}': expected ${slice.min}..${max}, but found ${n}`));
          }
        }
      }
    }
  }

  /** The property's values typed by the schema, as medplum's getNestedProperty gives them, without its general path for plain keys. */
  function valuesOf(obj: TypedValueWithPath, entry: Entry): PropertyValue[] {
    const value = obj.value as Record<string, unknown> | undefined;
    // A complex element's `_key` twin is reported as an unknown element, never merged into the element: medplum's
    // property getter would copy its keys into the client's own object, which is then stored.
    if (entry.simpleType && value && typeof value === 'object' && (entry.complex || value[entry.extensionHead] === undefined)) {
      const raw = value[entry.head];
      const path = `${obj.path}.${entry.key}`;
      if (isEmpty(raw)) return [{ type: 'undefined', value: undefined, path }];
      const type = entry.simpleType;
      if (Array.isArray(raw)) return [raw.map((v, i) => ({ type, value: v, path: `${path}[${i}]` }))];
      return [{ type, value: raw, path }];
    }
    return getNestedProperty(obj, entry.key, { withPath: true });
  }

  function choiceElementOf(obj: TypedValue, key: string, plan: Plan, elements: Record<string, InternalSchemaElement>): string | undefined {
    const bare = key.startsWith('_') ? key.slice(1) : key;
    let name = plan.choiceOf.get(bare);
    if (name === undefined) {
      name = '';
      let test = '';
      for (const part of bare.split(/(?=[A-Z])/g)) {
        test += part;
        if (elements[`${test}[x]`]) {
          name = test;
          break;
        }
      }
      plan.choiceOf.set(bare, name);
    }
    if (!name) return undefined;
    return getTypedPropertyValue(obj, name) ? `${key === bare ? '' : '_'}${name}[x]` : undefined;
  }

  function checkAdditionalProperties(obj: TypedValueWithPath, schema: InternalTypeSchema, plan: Plan): void {
    const object = obj.value as Record<string, unknown> | undefined;
    if (!object) return;
    const properties = schema.elements;
    const seen: Record<string, string> = {};
    for (const key of Object.keys(object)) {
      if (key === 'resourceType') continue;
      const choice = choiceElementOf(obj, key, plan, properties);
      if (choice) {
        const related = choice.startsWith('_') ? choice.slice(1) : `_${choice}`;
        const requiredRelated = choice.startsWith('_') ? key.slice(1) : `_${key}`;
        const name = choice.startsWith('_') ? choice.slice(1) : choice;
        if (related in seen && seen[related] !== requiredRelated) {
          out.push(issue('warning', 'structure', `Type of primitive extension does not match the type of property "${name}"`, choice));
        }
        if (seen[choice]) out.push(issue('warning', 'structure', `Conflicting choice of type properties: "${key}", "${seen[choice]}"`, key));
        seen[choice] = key;
        continue;
      }
      if (!(key in properties) && !(key.startsWith('_') && key.slice(1) in properties && !plan.complexKeys.has(key.slice(1)))) {
        out.push(structure(`${obj.path}.${key}`, `Invalid additional property "${key}"`));
      }
    }
  }

  function walkObject(obj: TypedValueWithPath, schema: InternalTypeSchema, path: string, withElementChecks: boolean): void {
    const isRes = isResource(obj.value);
    if (isRes) resources.push(obj.value);
    const value = obj.value as Record<string, unknown> | undefined;
    const isObject = !!value && typeof value === 'object';
    if (withElementChecks) checks.onEnterObject(path, obj, schema);
    const plan = planOf(schema);
    const marks = isObject ? presentMarks(value, Object.keys(value), plan.entries) : undefined;
    for (let i = 0; i < plan.entries.length; i++) {
      const entry = plan.entries[i];
      const has = marks !== undefined && marks[i] === 1;
      // Absent and optional: medplum's walk finds nothing there, and neither do the element checks.
      if (!has && !entry.required) continue;
      const propertyPath = `${path}.${entry.key}`;
      const values = valuesOf(obj, entry);
      visitProperty(entry, propertyPath, values);
      if (withElementChecks && has) checks.visitProperty(obj, entry.key, propertyPath, values, schema);
      for (const pv of values) {
        if (!pv) continue;
        for (const v of arrayify(pv) as TypedValueWithPath[]) {
          if (!isPrimitiveType(v.type)) walkObject(v, getDataType(v.type), propertyPath, withElementChecks && typeof v.value === 'object' && v.value !== null);
        }
      }
    }
    checkAdditionalProperties(obj, schema, plan);
    if (isRes) resources.pop();
  }

  constraintsCheck({ ...root, path: schema.path }, schema.constraints);
  checkNulls(resource as unknown as Record<string, unknown>, schema.path, out);
  walkObject({ ...root, path: schema.path }, schema, schema.path, true);
  return { structure: out, elements: elementIssues };
}

/** null is never a value in FHIR JSON, except in a primitive array whose `_key` twin has an entry at that index. */
function checkNulls(obj: Record<string, unknown>, path: string, out: OperationOutcomeIssue[]): void {
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value === null) {
      out.push(structure(`${path}.${key}`, 'Invalid null value'));
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === undefined) out.push(structure(`${path}.${key}[${i}]`, 'Invalid undefined value'));
        else if (item === null) {
          const partner = key.startsWith('_') ? key.slice(1) : `_${key}`;
          if (!(obj[partner] as unknown[] | undefined)?.[i]) out.push(structure(`${path}.${key}[${i}]`, 'Invalid null value'));
        } else if (typeof item === 'object') checkNulls(item as Record<string, unknown>, `${path}.${key}[${i}]`, out);
      }
    } else if (typeof value === 'object') {
      checkNulls(value as Record<string, unknown>, `${path}.${key}`, out);
    }
  }
}
