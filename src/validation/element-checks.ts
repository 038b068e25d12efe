// Element checks @medplum/core's validator lacks: required bindings, reference targets, per-value fixed/pattern, extension value types, HETU. https://hl7.org/fhir/R4/terminologies.html#required
import type { CrawlerVisitor, InternalTypeSchema, TypedValue, TypedValueWithPath } from '@medplum/core';
import { arrayify, crawlTypedValue, deepEquals, deepIncludes, getDataType, getNestedProperty, isPrimitiveType } from '@medplum/core';
import type { Coding, OperationOutcomeIssue, Reference, Resource } from '@medplum/fhirtypes';
import { dateProblem, type DateKind } from '../fhir/dates.js';
import { Oid } from '../kanta/codes.js';
import { isValidHetu } from './hetu.js';
import type { Language } from './language.js';
import { createIssue } from './messages.js';
import { publicTypeName } from './registry-names.js';
import type { Terminology } from './terminology.js';

export interface ElementCheckContext {
  terminology: Terminology;
  language: Language;
  /** Resource type a targetProfile URL constrains to, or undefined when the URL is not known. */
  targetTypeOf(profileUrl: string): string | undefined;
  /** For a project extension definition: the allowed value[x] type codes ([] = no value allowed); undefined if unknown. */
  extensionValueTypes(url: string): readonly string[] | undefined;
}

const CORE_SD_PREFIX = 'http://hl7.org/fhir/StructureDefinition/';
const REFERENCE_TYPE = /(?:^|\/)([A-Z][A-Za-z]+)(?:\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$|\?)/;

/** Checks a code / Coding / CodeableConcept against a required value set; other types are not bindable here. */
export function checkRequiredBinding(
  value: unknown,
  typeCode: string,
  valueSet: string,
  expression: string,
  ctx: Pick<ElementCheckContext, 'terminology' | 'language'>
): OperationOutcomeIssue | undefined {
  const vs = valueSet.split('|')[0];
  if (typeof value === 'string' && (typeCode === 'code' || typeCode === 'string' || typeCode === 'uri')) {
    return ctx.terminology.validateCode(vs, undefined, value) === 'invalid'
      ? createIssue('code-not-in-value-set', ctx.language, expression, { params: { code: value, valueSet: vs } })
      : undefined;
  }
  let codings: Coding[];
  if (typeCode === 'Coding') {
    codings = [value as Coding];
  } else if (typeCode === 'CodeableConcept') {
    // A coding that is not an array is the structure check's to report; here it just holds no codes.
    const list = (value as { coding?: unknown }).coding;
    codings = Array.isArray(list) ? (list as Coding[]).filter((c) => c?.code) : [];
    if (codings.length === 0) {
      return createIssue('code-missing', ctx.language, expression, { severity: 'warning', params: { valueSet: vs } });
    }
  } else {
    return undefined;
  }
  let firstInvalid: Coding | undefined;
  for (const coding of codings) {
    if (!coding?.code) {
      continue;
    }
    const result = ctx.terminology.validateCode(vs, coding.system, coding.code);
    if (result !== 'invalid') {
      return undefined;
    }
    firstInvalid ??= coding;
  }
  if (!firstInvalid) {
    return undefined;
  }
  const code = firstInvalid.system ? `${firstInvalid.system}#${firstInvalid.code}` : (firstInvalid.code as string);
  return createIssue('code-not-in-value-set', ctx.language, expression, { params: { code, valueSet: vs } });
}

function checkReference(
  value: Reference,
  targetProfiles: string[] | undefined,
  expression: string,
  ctx: ElementCheckContext
): OperationOutcomeIssue | undefined {
  const reference = value.reference;
  if (!targetProfiles?.length || typeof reference !== 'string' || reference.startsWith('#') || reference.startsWith('urn:')) {
    return undefined;
  }
  const found = REFERENCE_TYPE.exec(reference)?.[1];
  if (!found) {
    return undefined;
  }
  const allowed = new Set<string>();
  for (const url of targetProfiles) {
    const type = url.startsWith(CORE_SD_PREFIX) && !url.slice(CORE_SD_PREFIX.length).includes('/')
      ? url.slice(CORE_SD_PREFIX.length)
      : ctx.targetTypeOf(url);
    if (!type || type === 'Resource') {
      return undefined; // an unknown or open target cannot be checked
    }
    allowed.add(type);
  }
  return allowed.has(found)
    ? undefined
    : createIssue('reference-type', ctx.language, `${expression}.reference`, {
        params: { found, allowed: [...allowed].join(', ') },
      });
}

function checkExtension(value: Record<string, unknown>, expression: string, ctx: ElementCheckContext): OperationOutcomeIssue | undefined {
  const url = value.url;
  if (typeof url !== 'string') {
    return undefined;
  }
  const allowedTypes = ctx.extensionValueTypes(url);
  if (!allowedTypes) {
    return undefined;
  }
  const valueKey = Object.keys(value).find((k) => k.startsWith('value') && k.length > 5);
  const actual = valueKey ? valueKey.slice(5) : undefined;
  const ok = actual
    ? allowedTypes.some((t) => t.toLowerCase() === actual.toLowerCase())
    : allowedTypes.length === 0 || !!value.extension;
  return ok
    ? undefined
    : createIssue('extension-value-type', ctx.language, valueKey ? `${expression}.${valueKey}` : expression, {
        params: { url, allowed: allowedTypes.length ? allowedTypes.join(' | ') : '-' },
      });
}

const DateKinds = new Set<string>(['date', 'dateTime', 'instant']);
/** What medplum's own format check already passes; anything else it reports itself. */
const PlausibleDate = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60))?.*)?)?)?$/;

/** Calendar-true dates and a zone on every time (medplum's format regexes take 2026-02-30 and a zone-less time). */
function checkDates(propertyValues: unknown[], issues: OperationOutcomeIssue[], ctx: ElementCheckContext): void {
  for (const propertyValue of propertyValues) {
    for (const v of arrayify(propertyValue as TypedValue & { path: string }) ?? []) {
      if (!v || !DateKinds.has(v.type) || typeof v.value !== 'string' || !PlausibleDate.test(v.value)) continue;
      const problem = dateProblem(v.value, v.type as DateKind);
      if (problem) {
        const expression = v.path.replace(/\[x\](?=(\[\d+\])?$)/, v.type.charAt(0).toUpperCase() + v.type.slice(1));
        issues.push(createIssue('invalid-date', ctx.language, expression, { params: { type: v.type, detail: problem } }));
      }
    }
  }
}

/** A complex type (HumanName, ContactPoint, BackboneElement...) needs a JSON object; medplum lets `telecom: [0]` through. */
function checkComplexValues(propertyValues: unknown[], issues: OperationOutcomeIssue[], ctx: ElementCheckContext): void {
  for (const propertyValue of propertyValues) {
    for (const v of arrayify(propertyValue as TypedValue & { path: string }) ?? []) {
      if (!v || !/^[A-Z]/.test(v.type) || v.value === undefined) continue;
      if (v.value === null || typeof v.value !== 'object' || Array.isArray(v.value)) {
        issues.push(createIssue('wrong-type', ctx.language, v.path, { params: { expected: publicTypeName(v.type), found: v.value === null ? 'null' : Array.isArray(v.value) ? 'array' : typeof v.value } }));
      }
    }
  }
}

/** A schema element key and how to tell, from the object's own keys, whether its first path segment is present. */
export interface ElementKey {
  key: string;
  /** The first segment (`identifier` of `identifier.system`), or the prefix of a choice element (`value` of `value[x]`). */
  head: string;
  /** `_head`: where a primitive's id and extensions are. */
  extensionHead: string;
  choice: boolean;
}

const elementKeys = new WeakMap<InternalTypeSchema, ElementKey[]>();

/** The schema's element keys, each with how to find it among an object's own keys (remembered per schema). */
export function keysOf(schema: InternalTypeSchema): ElementKey[] {
  let keys = elementKeys.get(schema);
  if (!keys) {
    keys = Object.keys(schema.elements).map((key) => {
      const first = key.split('.')[0];
      const choice = first.endsWith('[x]');
      const head = choice ? first.slice(0, -3) : first;
      return { key, head, extensionHead: `_${head}`, choice };
    });
    elementKeys.set(schema, keys);
  }
  return keys;
}

const startsUpper = (k: string, at: number): boolean => at < k.length && k[at] >= 'A' && k[at] <= 'Z';

/** Where an object's own key can point: elements by first segment, choice elements by prefix (`value` of `value[x]`). */
interface PresenceIndex {
  byHead: Map<string, number[]>;
  byChoiceHead: Map<string, number[]>;
}

const presenceIndexes = new WeakMap<readonly ElementKey[], PresenceIndex>();

function presenceIndexOf(keys: readonly ElementKey[]): PresenceIndex {
  let index = presenceIndexes.get(keys);
  if (!index) {
    index = { byHead: new Map(), byChoiceHead: new Map() };
    keys.forEach((e, i) => {
      const map = e.choice ? index!.byChoiceHead : index!.byHead;
      map.set(e.head, [...(map.get(e.head) ?? []), i]);
    });
    presenceIndexes.set(keys, index);
  }
  return index;
}

/**
 * Whether `value` has each of `keys` at all (its value or, for primitives, its `_element` extension part), as a mark per
 * key (1 = present): found from the object's few own keys instead of asking each of the schema's many elements (a
 * profile's schema has dozens; an object uses a handful).
 */
export function presentMarks(value: Record<string, unknown>, own: string[], keys: readonly ElementKey[]): Uint8Array {
  const index = presenceIndexOf(keys);
  const marks = new Uint8Array(keys.length);
  for (const k of own) {
    // `_name` carries a primitive's id and extensions: it makes `name` present.
    const name = k.charCodeAt(0) === 95 ? k.slice(1) : k;
    if (value[k] !== undefined) for (const i of index.byHead.get(name) ?? []) marks[i] = 1;
    if (index.byChoiceHead.size === 0) continue;
    // A choice element `value[x]` is present as `valueString`, `valueCodeableConcept`, ...: its prefix ends before a capital.
    for (let at = 1; at < name.length; at++) {
      if (!startsUpper(name, at)) continue;
      for (const i of index.byChoiceHead.get(name.slice(0, at)) ?? []) marks[i] = 1;
    }
  }
  return marks;
}

/**
 * The walk of @medplum/core's crawler (every schema element of every object, values typed by the schema), except that
 * elements absent from the object are not visited: medplum's walk asks every element of the (large) profile schema
 * for its value, which costs more than the checks, and the visitor below finds nothing to check in an absent element.
 */
function crawlPresent(obj: TypedValueWithPath, schema: InternalTypeSchema, path: string, visitor: Required<Pick<CrawlerVisitor, 'onEnterObject' | 'visitProperty'>>): void {
  visitor.onEnterObject(path, obj, schema);
  const value = obj.value as Record<string, unknown> | undefined;
  if (!value || typeof value !== 'object') return;
  const keys = keysOf(schema);
  const marks = presentMarks(value, Object.keys(value), keys);
  for (let i = 0; i < keys.length; i++) {
    if (marks[i] === 0) continue;
    const e = keys[i];
    const propertyPath = `${path}.${e.key}`;
    const propertyValues = getNestedProperty(obj, e.key, { withPath: true });
    visitor.visitProperty(obj, e.key, propertyPath, propertyValues, schema);
    for (const propertyValue of propertyValues) {
      if (!propertyValue) continue;
      for (const v of arrayify(propertyValue) as TypedValueWithPath[]) {
        if (!isPrimitiveType(v.type)) crawlPresent(v, getDataType(v.type), propertyPath, visitor);
      }
    }
  }
}

/** The checks, as a crawler visitor adding to `issues` (also walked by medplum's own crawler in the tests). */
export function elementVisitor(issues: OperationOutcomeIssue[], ctx: ElementCheckContext): Required<Pick<CrawlerVisitor, 'onEnterObject' | 'visitProperty'>> {
  return {
    onEnterObject(_path, obj) {
      const value = obj.value as Record<string, unknown> | undefined;
      if (!value) {
        return;
      }
      if (obj.type === 'Identifier' && value.system === Oid.Hetu && value.value !== undefined && !isValidHetu(value.value)) {
        issues.push(createIssue('hetu-invalid', ctx.language, `${obj.path}.value`));
      } else if (obj.type === 'Extension') {
        const issue = checkExtension(value, obj.path, ctx);
        if (issue) {
          issues.push(issue);
        }
      }
    },
    visitProperty(_parent, key, _path, propertyValues, parentSchema) {
      const element = Object.prototype.hasOwnProperty.call(parentSchema.elements, key) ? parentSchema.elements[key] : undefined;
      if (!element) {
        return;
      }
      checkDates(propertyValues, issues, ctx);
      checkComplexValues(propertyValues, issues, ctx);
      const binding = element.binding?.strength === 'required' ? element.binding.valueSet : undefined;
      const referenceType = element.type.find((t) => t.code === 'Reference');
      // medplum accepts any valueXxx of the base type; a profile may have narrowed the choice
      const choiceTypes = key.endsWith('[x]') ? element.type.map((t) => t.code) : undefined;
      const fixed = element.fixed?.value;
      const pattern = element.pattern?.value;
      if (!binding && !referenceType && !choiceTypes && fixed === undefined && pattern === undefined) {
        return;
      }
      for (const propertyValue of propertyValues) {
        for (const v of arrayify(propertyValue as TypedValue & { path: string }) ?? []) {
          if (v?.value === undefined || v.value === null) {
            continue;
          }
          if (choiceTypes && !choiceTypes.includes(v.type)) {
            const expression = v.path.replace(/\[x\](?=(\[\d+\])?$)/, v.type.charAt(0).toUpperCase() + v.type.slice(1));
            issues.push(
              createIssue('wrong-type', ctx.language, expression, { params: { expected: choiceTypes.join(' | '), found: v.type } })
            );
            continue;
          }
          // Per value, so the expression names the failing repetition (medplum reports the element path only).
          const raw = v.value.valueOf();
          if ((fixed !== undefined && !deepEquals(raw, fixed)) || (pattern !== undefined && !deepIncludes(raw, pattern))) {
            issues.push(createIssue('value-mismatch', ctx.language, v.path));
          }
          const issue =
            (binding && checkRequiredBinding(v.value.valueOf(), v.type, binding, v.path, ctx)) ||
            (v.type === 'Reference' && checkReference(v.value as Reference, referenceType?.targetProfile, v.path, ctx)) ||
            undefined;
          if (issue) {
            issues.push(issue);
          }
        }
      }
    },
  };
}

/**
 * How the checks walk a resource: only the elements it has (the default), or medplum's crawler over every schema
 * element, kept so a test can show that both walks report the same issues.
 */
export type ElementWalk = 'present' | 'every';

/** Walks the resource as `typeKey` (the resource type, or a profile's key in medplum's type registry) and returns the extra issues. */
export function checkElements(resource: Resource, typeKey: string, ctx: ElementCheckContext, walk: ElementWalk = 'present'): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const schema = getDataType(typeKey);
  const visitor = elementVisitor(issues, ctx);
  if (walk === 'every') crawlTypedValue({ type: typeKey, value: resource }, visitor, { schema, initialPath: schema.path });
  else crawlPresent({ type: typeKey, value: resource, path: schema.path }, schema, schema.path, visitor);
  return issues;
}
