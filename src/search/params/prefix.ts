// Comparison prefixes of ordered search values (date, number, quantity). https://hl7.org/fhir/R4/search.html#prefix
import { badRequest, OperationOutcomeError } from '@medplum/core';

export const Prefixes = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof Prefixes)[number];

export function splitPrefix(raw: string, code: string): { prefix: Prefix; rest: string } {
  const m = /^([a-z]{2})([-+.0-9].*)$/.exec(raw);
  if (!m) return { prefix: 'eq', rest: raw };
  if (!(Prefixes as readonly string[]).includes(m[1])) {
    throw new OperationOutcomeError(badRequest(`Unknown prefix '${m[1]}' in value '${raw}' of search parameter '${code}'`, code));
  }
  return { prefix: m[1] as Prefix, rest: m[2] };
}

/**
 * The SQL test of an indexed range [lo, hi) against a search range [qlo, qhi) for a prefix, per the R4 rules:
 * eq = the search range contains the value's; gt/lt = the value extends beyond it; ge/le = either; sa/eb = wholly after/before.
 */
export function rangePredicate(prefix: Prefix, lo: string, hi: string, qlo: number, qhi: number, apDelta: number): { sql: string; params: number[] } {
  switch (prefix) {
    case 'eq':
      return { sql: `(${lo} >= ? AND ${hi} <= ?)`, params: [qlo, qhi] };
    case 'ne':
      return { sql: `NOT (${lo} >= ? AND ${hi} <= ?)`, params: [qlo, qhi] };
    case 'gt':
      return { sql: `${hi} > ?`, params: [qhi] };
    case 'lt':
      return { sql: `${lo} < ?`, params: [qlo] };
    case 'ge':
      return { sql: `(${hi} > ? OR (${lo} >= ? AND ${hi} <= ?))`, params: [qhi, qlo, qhi] };
    case 'le':
      return { sql: `(${lo} < ? OR (${lo} >= ? AND ${hi} <= ?))`, params: [qlo, qlo, qhi] };
    case 'sa':
      return { sql: `${lo} >= ?`, params: [qhi] };
    case 'eb':
      return { sql: `${hi} <= ?`, params: [qlo] };
    case 'ap':
      return { sql: `(${lo} < ? AND ${hi} > ?)`, params: [qhi + apDelta, qlo - apDelta] };
  }
}
