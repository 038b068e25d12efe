// Reference search parameters: Type/id, id, absolute URLs ending in Type/id, canonicals, :Type and :identifier. https://hl7.org/fhir/R4/search.html#reference
import type { TypedValue } from '@medplum/core';
import type { Reference, SearchParameter } from '@medplum/fhirtypes';
import type { CompileEnv, IndexRow, ParamType, Sql } from './param-type.js';
import { compileToken, tokenRows } from './token.js';
import { joinSql, ridIn, sql } from './sql-fragments.js';

const TYPE_ID_RE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** Splits a reference string into its target type and id when it names one. */
export function parseReference(ref: string): { type?: string; id?: string } {
  const m = TYPE_ID_RE.exec(ref);
  return m ? { type: m[1], id: m[2] } : {};
}

/** A canonical is compared without its `|version`. */
const stripVersion = (ref: string): string => ref.split('|')[0];

export const identifierCode = (code: string): string => `${code}:identifier`;

function referenceStrings(values: TypedValue[]): string[] {
  const out: string[] = [];
  for (const tv of values) {
    const v = tv.value as unknown;
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object' && typeof (v as Reference).reference === 'string') out.push((v as Reference).reference as string);
  }
  return out;
}

function valueTest(raw: string, modifier: string | undefined, sp: SearchParameter, env: CompileEnv): Sql {
  const typed = modifier && modifier !== 'identifier' ? modifier : undefined;
  if (typed) {
    const id = raw.includes('/') ? parseReference(raw).id ?? raw : raw;
    return sql('(target_type = ? AND target_id = ?)', [typed, id]);
  }
  const parsed = parseReference(raw);
  const isUrl = /^[a-z][a-z0-9+.-]*:/i.test(raw);
  if (parsed.type && env.isResourceType(parsed.type)) {
    const byId = sql('(target_type = ? AND target_id = ?)', [parsed.type, parsed.id]);
    return isUrl ? joinSql([byId, sql('ref = ?', [stripVersion(raw)])], 'OR', 'FALSE') : byId;
  }
  if (isUrl) return sql('ref = ?', [stripVersion(raw)]);
  const targets = sp.target ?? [];
  if (targets.length === 1) return sql('(target_type = ? AND target_id = ?)', [targets[0], raw]);
  return sql('target_id = ?', [raw]);
}

export const referenceParam: ParamType = {
  table: 'search_reference',
  columns: ['target_type', 'target_id', 'ref'],
  modifiers: ['identifier'],
  extract(values: TypedValue[]) {
    const rows: unknown[][] = [];
    const seen = new Set<string>();
    for (const ref of referenceStrings(values)) {
      if (ref.startsWith('#') || seen.has(ref)) continue;
      seen.add(ref);
      const { type, id } = parseReference(ref);
      rows.push([type ?? null, id ?? null, stripVersion(ref)]);
    }
    return rows;
  },
  extractRelated(values: TypedValue[], sp: SearchParameter): IndexRow[] {
    const rows: IndexRow[] = [];
    for (const tv of values) {
      const identifier = (tv.value as Reference | undefined)?.identifier;
      if (identifier && typeof tv.value === 'object') {
        for (const row of tokenRows(identifier)) rows.push({ table: 'search_token', values: [identifierCode(sp.code as string), ...row] });
      }
    }
    return rows;
  },
  validate() {},
  compile(leaf, sp, ridExpr, env, mode) {
    if (leaf.modifier === 'identifier') return compileToken({ ...leaf, modifier: undefined }, identifierCode(leaf.code), ridExpr, mode, env.dialect);
    const tests = leaf.values.map((raw) => valueTest(raw, leaf.modifier, sp, env));
    return ridIn('search_reference', leaf.code, ridExpr, joinSql(tests, 'OR', 'FALSE'), false, mode, env.dialect);
  },
  sortColumn: () => 'ref',
};
