// String search parameters: case- and accent-insensitive starts-with by default, :exact and :contains. https://hl7.org/fhir/R4/search.html#string
import { badRequest, OperationOutcomeError, type TypedValue } from '@medplum/core';
import type { Address, HumanName, SearchParameter } from '@medplum/fhirtypes';
import type { ParamType, Sql } from './param-type.js';
import { escapeLike, joinSql, normalizeString, ridIn, sql, startsWith } from './sql-fragments.js';

/** Each part of a name or address is searchable on its own, and so is the whole. */
function stringsOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (!v || typeof v !== 'object') return [];
  const name = v as HumanName;
  if ('family' in name || 'given' in name) {
    const parts = [...(name.prefix ?? []), ...(name.given ?? []), name.family, ...(name.suffix ?? [])].filter(
      (p): p is string => !!p,
    );
    return [...parts, parts.join(' '), ...(name.text ? [name.text] : [])];
  }
  const address = v as Address;
  if ('line' in address || 'city' in address || 'postalCode' in address || 'country' in address) {
    return [...(address.line ?? []), address.city, address.district, address.state, address.postalCode, address.country, address.text].filter(
      (p): p is string => !!p,
    );
  }
  if ('text' in name && typeof name.text === 'string') return [name.text];
  return [];
}

export const stringParam: ParamType = {
  table: 'search_string',
  columns: ['norm', 'value'],
  modifiers: ['exact', 'contains'],
  extract(values: TypedValue[]) {
    const seen = new Set<string>();
    const rows: unknown[][] = [];
    for (const tv of values) {
      for (const s of stringsOf(tv.value)) {
        if (seen.has(s)) continue;
        seen.add(s);
        rows.push([normalizeString(s), s]);
      }
    }
    return rows;
  },
  validate(value: string, sp: SearchParameter, modifier?: string) {
    if (modifier !== 'exact' && value === '') {
      throw new OperationOutcomeError(badRequest(`Empty value for search parameter '${sp.code}'`, sp.code));
    }
  },
  compile(leaf, _sp, ridExpr, env, mode) {
    const tests: Sql[] = leaf.values.map((raw) => {
      if (leaf.modifier === 'exact') return sql('value = ?', [raw]);
      const norm = normalizeString(raw);
      if (leaf.modifier === 'contains') return sql(`norm LIKE ? ESCAPE '\\'`, [`%${escapeLike(norm)}%`]);
      return startsWith('norm', norm);
    });
    return ridIn('search_string', leaf.code, ridExpr, joinSql(tests, 'OR', 'FALSE'), false, mode, env.dialect);
  },
  sortColumn: () => 'norm',
};
