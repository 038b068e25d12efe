// Quantity search parameters: `[prefix]number|system|code`, unit matched by code or unit text. https://hl7.org/fhir/R4/search.html#quantity
import type { TypedValue } from '@medplum/core';
import type { Quantity, SearchParameter } from '@medplum/fhirtypes';
import { numberPredicate, parseNumberValue } from './number.js';
import type { ParamType, Sql } from './param-type.js';
import { joinSql, ridIn, sql } from './sql-fragments.js';

/** Splits on unescaped `|` (FHIR escapes a literal pipe as `\|`). */
export function splitPipes(value: string): string[] {
  return value.split(/(?<!\\)\|/).map((p) => p.replace(/\\([|,$\\])/g, '$1'));
}

function parseQuantity(raw: string, code: string) {
  const [num, system, unit] = splitPipes(raw);
  return { number: parseNumberValue(num, code), system: system || undefined, unit: unit || undefined };
}

function valueTest(raw: string, code: string): Sql {
  const q = parseQuantity(raw, code);
  const parts: Sql[] = [numberPredicate('value', 'value', q.number)];
  if (q.system) parts.push(sql('system = ?', [q.system]));
  if (q.unit) parts.push(q.system ? sql('unit_code = ?', [q.unit]) : sql('(unit_code = ? OR unit = ?)', [q.unit, q.unit]));
  return joinSql(parts, 'AND', 'TRUE');
}

export const quantityParam: ParamType = {
  table: 'search_quantity',
  columns: ['value', 'system', 'unit_code', 'unit'],
  modifiers: [],
  extract(values: TypedValue[]) {
    const rows: unknown[][] = [];
    for (const tv of values) {
      const q = tv.value as Quantity;
      if (q && typeof q === 'object' && typeof q.value === 'number') {
        rows.push([q.value, q.system ?? null, q.code ?? null, q.unit ?? null]);
      }
    }
    return rows;
  },
  validate(value: string, sp: SearchParameter) {
    parseQuantity(value, sp.code as string);
  },
  compile(leaf, sp, ridExpr, env, mode) {
    const tests = leaf.values.map((raw) => valueTest(raw, sp.code as string));
    return ridIn('search_quantity', leaf.code, ridExpr, joinSql(tests, 'OR', 'FALSE'), false, mode, env.dialect);
  },
  sortColumn: () => 'value',
};
