// Parses a FHIR search query string into a SearchQuery, rejecting malformed values with a clear OperationOutcome. https://hl7.org/fhir/R4/search.html
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import type { Condition, IncludeTarget, SearchQuery, SortRule } from '../store/resource-store.js';
import { paramTypeOf } from './params/index.js';
import type { SearchRegistry } from './registry.js';
import { isPrototypeName } from '../fhir/safe-input.js';
import { checkChainDepth, checkOffset, checkOrValues, checkParameter, DefaultSearchLimits, type SearchLimits } from './limits.js';

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

export const SummaryModes = ['true', 'text', 'data', 'count', 'false'] as const;
export type SummaryMode = (typeof SummaryModes)[number];
export const TotalModes = ['none', 'estimate', 'accurate'] as const;

/** Parameters about the response format, not the search; the HTTP layer handles them. */
const FormatParams = new Set(['_format', '_pretty']);
const ResultParams = new Set(['_count', '_offset', '_total', '_summary', '_elements', '_sort', '_format', '_pretty']);

export interface ParsedSearch {
  query: SearchQuery;
  /** Parameters this server does not know (only when not strict). */
  unknown: string[];
  elements?: string[];
  summary?: SummaryMode;
}

const bad = (msg: string, expr: string): OperationOutcomeError => new OperationOutcomeError(badRequest(msg, expr));

/** Splits on commas not escaped as `\,` (the OR rule). */
function splitComma(value: string): string[] {
  return value.split(/(?<!\\),/);
}

function parseInteger(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw bad(`Invalid value '${value}' for ${name}: expected a non-negative integer`, name);
  return Number(value);
}

/** Thrown inside a chain when its first code is unknown, so the caller can report an unknown parameter instead. */
class UnknownParam extends Error {}

export function parseSearch(
  resourceType: string,
  query: Record<string, string[]>,
  registry: SearchRegistry,
  opts: { strict: boolean; limits?: SearchLimits },
): ParsedSearch {
  const limits = opts.limits ?? DefaultSearchLimits;
  const knownTypes = new Set(registry.resourceTypes());
  if (!knownTypes.has(resourceType)) throw bad(`Unknown resource type '${resourceType}'`, resourceType);

  const result: SearchQuery = {
    resourceType,
    where: [],
    sort: [],
    count: DEFAULT_COUNT,
    offset: 0,
    total: 'accurate',
    include: [],
    revinclude: [],
  };
  const unknown: string[] = [];
  let elements: string[] | undefined;
  let summary: SummaryMode | undefined;

  const lookup = (type: string, code: string): SearchParameter | undefined => registry.get(type, code);

  /** A leaf test `code[:modifier]=values` on `type`; `raw` is the whole parameter name for messages. */
  function leaf(type: string, code: string, modifier: string | undefined, values: string[], raw: string): Condition {
    const sp = lookup(type, code);
    if (!sp) throw new UnknownParam(code);
    const module = paramTypeOf(sp.type);
    if (!module) throw bad(`Search parameter '${raw}' is not supported`, raw);
    if (modifier !== undefined && modifier !== 'missing') {
      const ok =
        module.modifiers.includes(modifier) ||
        (code === '_id' && modifier === 'not') ||
        (sp.type === 'reference' && knownTypes.has(modifier) && (!sp.target?.length || sp.target.includes(modifier as never)));
      if (!ok) throw bad(`Unknown modifier ':${modifier}' for search parameter '${code}' of type ${sp.type}`, raw);
    }
    const parts = values.flatMap(splitComma).filter((v) => v !== '');
    checkOrValues(raw, parts, limits);
    if (modifier === 'missing') {
      if (parts.length !== 1 || (parts[0] !== 'true' && parts[0] !== 'false')) {
        throw bad(`Invalid value for '${raw}': :missing takes true or false`, raw);
      }
    } else {
      for (const v of parts) module.validate(v, sp, modifier);
    }
    return { kind: 'param', code, ...(modifier !== undefined ? { modifier } : {}), values: parts };
  }

  /** `a[:Type].b[:Type].c[:modifier]` on `type`. */
  function chainOrLeaf(type: string, segments: string[], values: string[], raw: string): Condition {
    const [head, ...rest] = segments;
    const [code, modifier, ...more] = head.split(':');
    if (more.length > 0) throw bad(`'${head}' has more than one modifier; a search parameter takes at most one`, raw);
    if (rest.length === 0) return leaf(type, code, modifier, values, raw);
    const sp = lookup(type, code);
    if (!sp) throw new UnknownParam(code);
    if (sp.type !== 'reference') throw bad(`Search parameter '${code}' is not a reference and cannot be chained in '${raw}'`, raw);
    if (modifier && !knownTypes.has(modifier)) throw bad(`Unknown resource type '${modifier}' in chain '${raw}'`, raw);
    const nextCode = rest[0].split(':', 2)[0];
    const targets = modifier ? [modifier] : (sp.target ?? []).filter((t) => lookup(t, nextCode));
    if (targets.length === 0 || !lookup(targets[0], nextCode)) {
      throw bad(`Unknown chained search parameter '${nextCode}' in '${raw}'`, raw);
    }
    // Values are validated against each candidate target's definition; they compile per target later.
    let next: Condition | undefined;
    for (const t of targets) {
      try {
        next = chainOrLeaf(t, rest, values, raw);
      } catch (err) {
        if (err instanceof UnknownParam) throw bad(`Unknown chained search parameter '${err.message}' in '${raw}'`, raw);
        throw err;
      }
    }
    return { kind: 'chain', code, ...(modifier ? { targetType: modifier } : {}), next: next as Condition };
  }

  /** `_has:Source:refParam:rest` where rest is another _has or a (chained) parameter. */
  function has(type: string, spec: string, values: string[], raw: string): Condition {
    const m = /^_has:([A-Za-z]+):([A-Za-z0-9_-]+):(.+)$/.exec(spec);
    if (!m) throw bad(`Malformed _has parameter '${raw}': expected _has:Type:reference:parameter`, raw);
    const [, sourceType, refParam, rest] = m;
    if (!knownTypes.has(sourceType)) throw bad(`Unknown resource type '${sourceType}' in '${raw}'`, raw);
    const ref = lookup(sourceType, refParam);
    if (!ref || ref.type !== 'reference') throw bad(`'${refParam}' is not a reference parameter of ${sourceType} in '${raw}'`, raw);
    let next: Condition;
    try {
      next = rest.startsWith('_has:') ? has(sourceType, rest, values, raw) : chainOrLeaf(sourceType, rest.split('.'), values, raw);
    } catch (err) {
      if (err instanceof UnknownParam) throw bad(`Unknown search parameter '${err.message}' for ${sourceType} in '${raw}'`, raw);
      throw err;
    }
    void type;
    return { kind: 'has', sourceType, refParam, next };
  }

  function includeTarget(name: string, value: string, reverse: boolean, iterate: boolean): IncludeTarget {
    if (value === '*') return { sourceType: reverse ? '*' : resourceType, param: '*', iterate };
    const [sourceType, param, targetType] = value.split(':');
    if (!sourceType || !param) throw bad(`Malformed ${name} value '${value}': expected Type:parameter[:targetType]`, name);
    if (sourceType !== '*' && !knownTypes.has(sourceType)) throw bad(`Unknown resource type '${sourceType}' in ${name}`, name);
    if (param !== '*') {
      const sp = sourceType === '*' ? undefined : lookup(sourceType, param);
      if (sourceType !== '*' && (!sp || sp.type !== 'reference')) {
        throw bad(`'${param}' is not a reference parameter of ${sourceType} in ${name}`, name);
      }
    }
    if (targetType && !knownTypes.has(targetType)) throw bad(`Unknown target type '${targetType}' in ${name}`, name);
    return { sourceType, param, ...(targetType ? { targetType } : {}), ...(iterate ? { iterate } : {}) };
  }

  for (const [name, rawValues] of Object.entries(query)) {
    const values = rawValues ?? [];
    checkParameter(name, values, limits);
    const last = values[values.length - 1] ?? '';
    const [base, keyModifier, ...more] = name.split(':');
    // Result parameters take no modifier (and _include one), so `_count:x` or `_include:iterate:x` is not silently cut.
    if (keyModifier !== undefined && (ResultParams.has(base) || ((base === '_include' || base === '_revinclude') && more.length > 0))) {
      throw bad(`Unknown modifier on ${name}`, name);
    }
    if (!name.startsWith('_has:')) checkChainDepth(name, name.split('.').length - 1, limits);
    else checkChainDepth(name, name.slice(name.lastIndexOf(':')).split('.').length - 1, limits);
    switch (base) {
      case '_count':
        result.count = Math.min(parseInteger('_count', last), MAX_COUNT);
        continue;
      case '_offset':
        result.offset = parseInteger('_offset', last);
        checkOffset(result.offset, limits);
        continue;
      case '_total':
        if (!(TotalModes as readonly string[]).includes(last)) throw bad(`Invalid _total '${last}': expected none, estimate or accurate`, '_total');
        result.total = last as SearchQuery['total'];
        continue;
      case '_summary':
        if (!(SummaryModes as readonly string[]).includes(last)) throw bad(`Invalid _summary '${last}'`, '_summary');
        summary = last as SummaryMode;
        continue;
      case '_elements':
        elements = values.flatMap(splitComma).map((e) => e.trim()).filter(Boolean);
        for (const e of elements) if (!/^[A-Za-z][A-Za-z0-9.]*$/.test(e) || isPrototypeName(e)) throw bad(`Invalid _elements entry '${e.slice(0, 40)}'`, '_elements');
        continue;
      case '_sort':
        for (const v of values.flatMap(splitComma).filter(Boolean)) result.sort.push(sortRule(v));
        continue;
      case '_include':
      case '_revinclude': {
        if (keyModifier && keyModifier !== 'iterate' && keyModifier !== 'recurse') throw bad(`Unknown modifier on ${name}`, name);
        const list = base === '_include' ? result.include : result.revinclude;
        for (const v of values) list.push(includeTarget(base, v, base === '_revinclude', !!keyModifier));
        continue;
      }
    }
    if (FormatParams.has(name)) continue;
    try {
      if (name.startsWith('_has:')) {
        result.where.push(has(resourceType, name, values, name));
        continue;
      }
      // Repeating a parameter ANDs its occurrences; commas within one occurrence OR.
      const conds = values.filter((v) => v !== '').map((v) => chainOrLeaf(resourceType, name.split('.'), [v], name));
      result.where.push(...conds);
    } catch (err) {
      if (!(err instanceof UnknownParam)) throw err;
      if (opts.strict) throw bad(`Unknown search parameter '${name}' for resource type '${resourceType}'`, name);
      unknown.push(name);
    }
  }

  function sortRule(v: string): SortRule {
    const descending = v.startsWith('-');
    const code = descending ? v.slice(1) : v;
    if (code !== '_id' && code !== '_lastUpdated') {
      const sp = lookup(resourceType, code);
      if (!sp || !paramTypeOf(sp.type)) throw bad(`Cannot sort by unknown search parameter '${code}'`, '_sort');
    }
    return { code, descending };
  }

  if (summary === 'count') {
    result.count = 0;
    result.total = 'accurate';
  }
  return { query: result, unknown, ...(elements ? { elements } : {}), ...(summary ? { summary } : {}) };
}
