// URI search parameters: exact match, :below (prefix) and :above (the value is a prefix of the search). https://hl7.org/fhir/R4/search.html#uri
import type { TypedValue } from '@medplum/core';
import type { ParamType, Sql } from './param-type.js';
import { joinSql, ridIn, sql, startsWith } from './sql-fragments.js';

export const uriParam: ParamType = {
  table: 'search_uri',
  columns: ['value'],
  modifiers: ['below', 'above'],
  extract(values: TypedValue[]) {
    return values.filter((tv) => typeof tv.value === 'string').map((tv) => [tv.value as string]);
  },
  validate() {},
  compile(leaf, _sp, ridExpr, env, mode) {
    const tests: Sql[] = leaf.values.map((raw) => {
      if (leaf.modifier === 'below') return startsWith('value', raw);
      if (leaf.modifier === 'above') return sql('substr(?, 1, length(value)) = value', [raw]);
      return sql('value = ?', [raw]);
    });
    return ridIn('search_uri', leaf.code, ridExpr, joinSql(tests, 'OR', 'FALSE'), false, mode, env.dialect);
  },
  sortColumn: () => 'value',
};
