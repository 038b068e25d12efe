// Applies a FHIRPath Patch (a Parameters resource of add/insert/delete/replace/move operations) to a copy of a resource. https://hl7.org/fhir/R4/fhirpatch.html
import { badRequest, evalFhirPathTyped, OperationOutcomeError, toTypedValue, tryGetDataType } from '@medplum/core';
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { unprocessable } from './outcomes.js';

type Json = Record<string, unknown>;
/** Where one element stands: `parent[key]`, or `parent[key][index]` for a repeating element. */
interface Location {
  parent: Json;
  key: string;
  index?: number;
}

const OperationTypes = ['add', 'insert', 'delete', 'replace', 'move'] as const;
type OperationType = (typeof OperationTypes)[number];
/** `expr.name` or `expr.name[3]` at the end of a path: the parent is `expr`. */
const TrailingStep = /^(.+)\.([A-Za-z][A-Za-z0-9_]*)(?:\[(\d+)\])?$/;

const bad = (text: string, i?: number): never => {
  throw new OperationOutcomeError(badRequest(text, i === undefined ? undefined : `Parameters.parameter[${i}]`));
};
const cannot = (text: string, i: number): never => {
  throw new OperationOutcomeError(unprocessable(text, `Parameters.parameter[${i}]`));
};

export function isFhirPathPatch(body: unknown): body is Parameters {
  return !!body && typeof body === 'object' && (body as Resource).resourceType === 'Parameters';
}

function evaluate(resource: Resource, path: string, i: number): Array<{ type: string; value: unknown }> {
  try {
    return evalFhirPathTyped(path, [toTypedValue(resource)]);
  } catch {
    return bad(`Operation ${i}: path '${path}' is not a valid FHIRPath expression`, i);
  }
}

/** The element name under `parent` that `key` names, resolving choice elements (value -> valueQuantity). */
function actualKey(parent: Json, key: string): string {
  if (key in parent) return key;
  return Object.keys(parent).find((k) => k.startsWith(key) && /^[A-Z]/.test(k.slice(key.length))) ?? key;
}

/** Finds where each element the path selects stands, so it can be changed in place. */
function locate(resource: Resource, path: string, i: number): Location[] {
  const step = TrailingStep.exec(path);
  if (step) {
    const [, parentPath, name, idx] = step;
    const out: Location[] = [];
    for (const p of evaluate(resource, parentPath, i)) {
      if (!p.value || typeof p.value !== 'object') continue;
      const parent = p.value as Json;
      const key = actualKey(parent, name);
      const v = parent[key];
      if (v === undefined) continue;
      if (Array.isArray(v)) v.forEach((_, n) => out.push({ parent, key, index: n }));
      else out.push({ parent, key });
    }
    // FHIRPath's indexer counts over the whole collection, not within each parent.
    return idx === undefined ? out : out.slice(Number(idx), Number(idx) + 1);
  }
  // Paths ending in a function (where(), first()) select objects; find each by identity in the tree.
  const targets = evaluate(resource, path, i).map((r) => r.value);
  if (targets.some((t) => !t || typeof t !== 'object')) bad(`Operation ${i}: path '${path}' must end in an element name to select a primitive value`, i);
  const out: Location[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    for (const [key, v] of Object.entries(node as Json)) {
      if (Array.isArray(v)) {
        v.forEach((item, n) => {
          if (targets.includes(item)) out.push({ parent: node as Json, key, index: n });
          walk(item);
        });
      } else {
        if (targets.includes(v)) out.push({ parent: node as Json, key });
        walk(v);
      }
    }
  };
  walk(resource);
  return out;
}

function part(op: ParametersParameter, name: string): ParametersParameter | undefined {
  return op.part?.find((p) => p.name === name);
}

/** The value[x] of a part, or a complex value built from its own parts (FHIRPath Patch allows both). */
function valueOf(p: ParametersParameter | undefined): unknown {
  if (!p) return undefined;
  if (p.resource) return p.resource;
  const key = Object.keys(p).find((k) => k.startsWith('value'));
  if (key) return (p as unknown as Json)[key];
  if (p.part?.length) {
    const out: Json = {};
    for (const child of p.part) {
      const v = valueOf(child);
      if (v === undefined) continue;
      const existing = out[child.name];
      out[child.name] = existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [existing, v];
    }
    return out;
  }
  return undefined;
}

function isRepeating(containerType: string, name: string): boolean {
  return tryGetDataType(containerType)?.elements?.[name]?.isArray ?? false;
}

function integerPart(op: ParametersParameter, name: string, i: number): number {
  const v = part(op, name)?.valueInteger;
  if (v === undefined || !Number.isInteger(v) || v < 0) return bad(`Operation ${i}: '${name}' must be a non-negative integer`, i);
  return v;
}

function one(locs: Location[], path: string, i: number): Location {
  if (locs.length !== 1) cannot(`Operation ${i}: path '${path}' selects ${locs.length} elements; it must select exactly one`, i);
  return locs[0];
}

function list(resource: Resource, path: string, i: number): unknown[] {
  const step = TrailingStep.exec(path);
  if (!step || step[3] !== undefined) return bad(`Operation ${i}: path '${path}' must name a repeating element`, i);
  const parents = evaluate(resource, step[1], i).filter((p) => p.value && typeof p.value === 'object');
  if (parents.length !== 1) return cannot(`Operation ${i}: path '${path}' must select exactly one list`, i);
  const parent = parents[0].value as Json;
  const v = parent[step[2]];
  if (!Array.isArray(v)) return cannot(`Operation ${i}: '${path}' is not a list in this resource`, i);
  return v;
}

function applyOne(resource: Resource, op: ParametersParameter, i: number): void {
  if (op.name !== 'operation') bad(`Parameter ${i} must be named 'operation', not '${op.name}'`, i);
  const type = part(op, 'type')?.valueCode as OperationType | undefined;
  if (!type || !OperationTypes.includes(type)) bad(`Operation ${i}: type must be one of ${OperationTypes.join(', ')}`, i);
  const path = part(op, 'path')?.valueString;
  if (!path) return bad(`Operation ${i}: path is required`, i);
  switch (type) {
    case 'add': {
      const name = part(op, 'name')?.valueString;
      const value = valueOf(part(op, 'value'));
      if (!name || value === undefined) bad(`Operation ${i}: add needs a name and a value`, i);
      const containers = evaluate(resource, path, i).filter((c) => c.value && typeof c.value === 'object');
      if (containers.length !== 1) cannot(`Operation ${i}: path '${path}' selects ${containers.length} elements; add needs exactly one`, i);
      const container = containers[0].value as Json;
      const existing = container[name!];
      if (Array.isArray(existing)) existing.push(value);
      else if (existing === undefined) container[name!] = isRepeating(containers[0].type, name!) ? [value] : value;
      else cannot(`Operation ${i}: '${path}.${name}' already has a value; use replace`, i);
      return;
    }
    case 'insert': {
      const items = list(resource, path, i);
      const index = integerPart(op, 'index', i);
      const value = valueOf(part(op, 'value'));
      if (value === undefined) bad(`Operation ${i}: insert needs a value`, i);
      if (index > items.length) cannot(`Operation ${i}: index ${index} is beyond the ${items.length} elements of '${path}'`, i);
      items.splice(index, 0, value);
      return;
    }
    case 'delete': {
      const locs = locate(resource, path, i);
      if (locs.length === 0) return; // deleting what is not there is no error (FHIRPath Patch)
      const loc = one(locs, path, i);
      const v = loc.parent[loc.key];
      if (loc.index !== undefined && Array.isArray(v)) {
        v.splice(loc.index, 1);
        if (v.length === 0) delete loc.parent[loc.key];
      } else delete loc.parent[loc.key];
      return;
    }
    case 'replace': {
      const value = valueOf(part(op, 'value'));
      if (value === undefined) bad(`Operation ${i}: replace needs a value`, i);
      const loc = one(locate(resource, path, i), path, i);
      const v = loc.parent[loc.key];
      if (loc.index !== undefined && Array.isArray(v)) v[loc.index] = value;
      else loc.parent[loc.key] = value;
      return;
    }
    case 'move': {
      const items = list(resource, path, i);
      const source = integerPart(op, 'source', i);
      const destination = integerPart(op, 'destination', i);
      if (source >= items.length || destination >= items.length) cannot(`Operation ${i}: move indexes must be below ${items.length}`, i);
      const [moved] = items.splice(source, 1);
      items.splice(destination, 0, moved);
      return;
    }
  }
}

/** Returns the patched copy; `resource` itself is never changed. Malformed operations are 400, inapplicable ones 422. */
export function applyFhirPathPatch<T extends Resource>(resource: T, patch: Parameters): T {
  const copy = structuredClone(resource);
  const ops = patch.parameter ?? [];
  if (ops.length === 0) bad('A FHIRPath Patch needs at least one operation parameter');
  ops.forEach((op, i) => applyOne(copy, op, i));
  return copy;
}
