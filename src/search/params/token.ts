// Token search parameters: system|code, |code, system|, code; :not and :text. https://hl7.org/fhir/R4/search.html#token
import type { TypedValue } from '@medplum/core';
import type { CodeableConcept, Coding, Identifier } from '@medplum/fhirtypes';
import type { ParamLeaf, ParamType, RidMode, Sql } from './param-type.js';
import type { SqlDialect } from '../../store/sql/database.js';
import { splitPipes } from './quantity.js';
import { escapeLike, joinSql, normalizeString, ridIn, sql } from './sql-fragments.js';

type TokenRow = [system: string | null, value: string | null, display: string | null];

const ContactPointSystems = ['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other'] as const;

const text = (s: string | undefined): string | null => (s ? normalizeString(s) : null);

function codingRow(c: Coding): TokenRow {
  return [c.system ?? null, c.code ?? null, text(c.display)];
}

/** Rows for one element of whatever token-able type it is (judged by shape: some typed values arrive untyped). */
export function tokenRows(v: unknown): TokenRow[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [[null, String(v), null]];
  if (typeof v !== 'object') return [];
  const o = v as Record<string, unknown>;
  if ('coding' in o || ('text' in o && !('value' in o) && !('code' in o))) {
    const cc = o as CodeableConcept;
    const rows = (cc.coding ?? []).map(codingRow);
    if (cc.text) rows.push([null, null, text(cc.text)]);
    return rows;
  }
  if ('value' in o && typeof o.value === 'string') {
    if (typeof o.system === 'string' && (ContactPointSystems as readonly string[]).includes(o.system) && !('assigner' in o)) {
      return [[null, o.value, null]];
    }
    const id = o as Identifier;
    return [[id.system ?? null, id.value ?? null, text(id.type?.text)]];
  }
  if ('code' in o || 'system' in o) return [codingRow(o as Coding)];
  return [];
}

function valueTest(raw: string, modifier: string | undefined): Sql {
  if (modifier === 'text') return sql(`display LIKE ? ESCAPE '\\'`, [`%${escapeLike(normalizeString(raw))}%`]);
  if (!raw.includes('|')) return sql('value = ?', [raw.replace(/\\([|,$\\])/g, '$1')]);
  const [system, code] = splitPipes(raw);
  if (system === '') return sql('(system IS NULL AND value = ?)', [code]);
  if (code === '' || code === undefined) return sql('system = ?', [system]);
  return sql('(system = ? AND value = ?)', [system, code]);
}

/** Compiles a token leaf against the rows stored under `code` (a reference's :identifier uses `<code>:identifier`). */
export function compileToken(leaf: ParamLeaf, code: string, ridExpr: string, mode: RidMode = 'in', dialect?: SqlDialect): Sql {
  const tests = leaf.values.map((raw) => valueTest(raw, leaf.modifier));
  return ridIn('search_token', code, ridExpr, joinSql(tests, 'OR', 'FALSE'), leaf.modifier === 'not', mode, dialect);
}

export const tokenParam: ParamType = {
  table: 'search_token',
  columns: ['system', 'value', 'display'],
  modifiers: ['not', 'text'],
  extract(values: TypedValue[]) {
    const seen = new Set<string>();
    const rows: unknown[][] = [];
    for (const tv of values) {
      for (const row of tokenRows(tv.value)) {
        const key = JSON.stringify(row);
        if (!seen.has(key)) {
          seen.add(key);
          rows.push(row);
        }
      }
    }
    return rows;
  },
  validate() {},
  compile(leaf, _sp, ridExpr, env, mode) {
    return compileToken(leaf, leaf.code, ridExpr, mode, env.dialect);
  },
  sortColumn: () => 'value',
};
