// Number search parameters: eq/ne honour the value's implied precision, other prefixes compare exactly. https://hl7.org/fhir/R4/search.html#number
import { badRequest, OperationOutcomeError, type TypedValue } from '@medplum/core';
import type { Range, SearchParameter } from '@medplum/fhirtypes';
import type { ParamType, Sql } from './param-type.js';
import { splitPrefix, type Prefix } from './prefix.js';
import { joinSql, ridIn, sql } from './sql-fragments.js';

const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

export function parseNumberValue(raw: string, code: string): { prefix: Prefix; value: number; halfUnit: number } {
  const { prefix, rest } = splitPrefix(raw, code);
  if (!NUMBER_RE.test(rest)) {
    throw new OperationOutcomeError(badRequest(`Invalid number '${raw}' for search parameter '${code}'`, code));
  }
  const [mantissa, exponent] = rest.toLowerCase().split('e');
  const decimals = mantissa.includes('.') ? mantissa.split('.')[1].length : 0;
  const halfUnit = 0.5 * 10 ** (-decimals + (exponent ? Number(exponent) : 0));
  return { prefix, value: Number(rest), halfUnit };
}

/** Compares a stored [lo, hi] (a point has lo = hi) with a search number. */
export function numberPredicate(lo: string, hi: string, n: { prefix: Prefix; value: number; halfUnit: number }): Sql {
  const { value, halfUnit } = n;
  switch (n.prefix) {
    case 'eq':
      return sql(`(${lo} >= ? AND ${hi} < ?)`, [value - halfUnit, value + halfUnit]);
    case 'ne':
      return sql(`NOT (${lo} >= ? AND ${hi} < ?)`, [value - halfUnit, value + halfUnit]);
    case 'gt':
    case 'sa':
      return sql(`${hi} > ?`, [value]);
    case 'lt':
    case 'eb':
      return sql(`${lo} < ?`, [value]);
    case 'ge':
      return sql(`${hi} >= ?`, [value]);
    case 'le':
      return sql(`${lo} <= ?`, [value]);
    case 'ap': {
      const delta = Math.abs(value) * 0.1;
      return sql(`(${lo} <= ? AND ${hi} >= ?)`, [value + delta, value - delta]);
    }
  }
}

export const numberParam: ParamType = {
  table: 'search_number',
  columns: ['lo', 'hi'],
  modifiers: [],
  extract(values: TypedValue[]) {
    const rows: unknown[][] = [];
    for (const tv of values) {
      const v = tv.value as unknown;
      if (typeof v === 'number') rows.push([v, v]);
      else if (v && typeof v === 'object' && ('low' in v || 'high' in v)) {
        const r = v as Range;
        rows.push([r.low?.value ?? -Number.MAX_VALUE, r.high?.value ?? Number.MAX_VALUE]);
      } else if (v && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'number') {
        const n = (v as { value: number }).value;
        rows.push([n, n]);
      }
    }
    return rows;
  },
  validate(value: string, sp: SearchParameter) {
    parseNumberValue(value, sp.code as string);
  },
  compile(leaf, sp, ridExpr, env, mode) {
    const tests = leaf.values.map((raw) => numberPredicate('lo', 'hi', parseNumberValue(raw, sp.code as string)));
    return ridIn('search_number', leaf.code, ridExpr, joinSql(tests, 'OR', 'FALSE'), false, mode, env.dialect);
  },
  sortColumn: (descending) => (descending ? 'hi' : 'lo'),
};
