// Search over the SQL store: filters, access policy, sort, paging, totals and _include/_revinclude, all in SQL. https://hl7.org/fhir/R4/search.html
import type { Resource } from '@medplum/fhirtypes';
import type { ConditionCompiler } from '../../search/compile-condition.js';
import type { Sql } from '../../search/params/param-type.js';
import { escapeLike, joinSql, qualifiedCode, sql } from '../../search/params/sql-fragments.js';
import type { AccessPolicy, IncludeTarget, SearchQuery, SearchResult } from '../resource-store.js';
import { SamePlan, type SqlDatabase, type StatementOptions } from './database.js';

/** How many rounds of `:iterate` includes are followed. */
const MAX_INCLUDE_DEPTH = 3;
/** Bound on the rids of one IN list, well under both engines' parameter limits. */
const IN_CHUNK = 500;

interface Row {
  rid: number;
  resource_type: string;
  id: string;
  content: string;
}

export interface SqlSearch {
  search(query: SearchQuery, access?: AccessPolicy): Promise<SearchResult>;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createSqlSearch(db: SqlDatabase, compiler: ConditionCompiler): SqlSearch {
  function whereOf(query: SearchQuery, access: AccessPolicy | undefined): { sql: Sql; options?: StatementOptions } {
    const filter = compiler.searchFilter(query.where, query.resourceType, 'r', access);
    // When an index condition drives, SQLite must not prefer the (unselective) type index: `+` disables it.
    const typeTest = filter.driven && db.dialect === 'sqlite' ? '+r.resource_type = ?' : 'r.resource_type = ?';
    const keyset = query.afterId !== undefined ? [sql('r.id > ?', [query.afterId])] : [];
    return {
      sql: joinSql([sql(typeTest, [query.resourceType]), sql('r.deleted = 0'), ...keyset, filter.sql], 'AND', 'TRUE'),
      options: filter.samePlan ? SamePlan : undefined,
    };
  }

  /** Keeps only the candidates of each type that the access policy permits, in one query per type. */
  async function permitted(candidates: { rid: number; resource_type: string }[], access: AccessPolicy | undefined): Promise<Row[]> {
    const byType = new Map<string, number[]>();
    for (const c of candidates) {
      let list = byType.get(c.resource_type);
      if (!list) byType.set(c.resource_type, (list = []));
      list.push(c.rid);
    }
    const out: Row[] = [];
    for (const [type, rids] of byType) {
      for (const chunk of chunks(rids, IN_CHUNK)) {
        const acc = compiler.access(type, 'r', access);
        out.push(
          ...(await db.query<Row>(
            `SELECT r.rid, r.resource_type, r.id, r.content FROM resource r WHERE r.rid IN (${chunk.map(() => '?').join(', ')})` +
              ` AND r.resource_type = ? AND r.deleted = 0 AND ${acc.sql}`,
            [...chunk, type, ...acc.params],
            // Rows by key, each then probed (the policy's conditions are per-row probes).
            SamePlan,
          )),
        );
      }
    }
    return out;
  }

  async function includeRound(sources: Row[], target: IncludeTarget, reverse: boolean): Promise<{ rid: number; resource_type: string }[]> {
    const out: { rid: number; resource_type: string }[] = [];
    if (!reverse) {
      const rids = sources.filter((s) => target.sourceType === '*' || s.resource_type === target.sourceType).map((s) => s.rid);
      for (const chunk of chunks(rids, IN_CHUNK)) {
        const filters: Sql[] = [sql(`ref.rid IN (${chunk.map(() => '?').join(', ')})`, chunk)];
        if (target.param !== '*') filters.push(codeFilter(target));
        if (target.targetType) filters.push(sql('ref.target_type = ?', [target.targetType]));
        const f = joinSql(filters, 'AND', 'TRUE');
        out.push(
          ...(await db.query<{ rid: number; resource_type: string }>(
            `SELECT DISTINCT t.rid, t.resource_type FROM search_reference ref JOIN resource t` +
              ` ON t.resource_type = ref.target_type AND t.id = ref.target_id WHERE ${f.sql} AND t.deleted = 0`,
            f.params,
          )),
        );
      }
      return out;
    }
    const byType = new Map<string, string[]>();
    for (const s of sources) {
      if (target.targetType && s.resource_type !== target.targetType) continue;
      let ids = byType.get(s.resource_type);
      if (!ids) byType.set(s.resource_type, (ids = []));
      ids.push(s.id);
    }
    for (const [type, ids] of byType) {
      for (const chunk of chunks(ids, IN_CHUNK)) {
        const filters: Sql[] = [sql(`ref.target_id IN (${chunk.map(() => '?').join(', ')})`, chunk), sql('ref.target_type = ?', [type])];
        if (target.param !== '*') filters.push(codeFilter(target));
        if (target.sourceType !== '*') filters.push(sql('s.resource_type = ?', [target.sourceType]));
        const f = joinSql(filters, 'AND', 'TRUE');
        out.push(
          ...(await db.query<{ rid: number; resource_type: string }>(
            `SELECT DISTINCT s.rid, s.resource_type FROM search_reference ref JOIN resource s ON s.rid = ref.rid WHERE ${f.sql} AND s.deleted = 0`,
            f.params,
          )),
        );
      }
    }
    return out;
  }

  async function includes(matches: Row[], query: SearchQuery, access: AccessPolicy | undefined): Promise<Row[]> {
    if (!query.include.length && !query.revinclude.length) return [];
    const seen = new Set(matches.map((m) => m.rid));
    const included: Row[] = [];
    let frontier = matches;
    for (let depth = 0; depth < MAX_INCLUDE_DEPTH && frontier.length; depth++) {
      const targets = [
        ...query.include.filter((t) => depth === 0 || t.iterate).map((t) => ({ t, reverse: false })),
        ...query.revinclude.filter((t) => depth === 0 || t.iterate).map((t) => ({ t, reverse: true })),
      ];
      if (!targets.length) break;
      const candidates: { rid: number; resource_type: string }[] = [];
      for (const { t, reverse } of targets) {
        for (const c of await includeRound(frontier, t, reverse)) {
          if (!seen.has(c.rid)) {
            seen.add(c.rid);
            candidates.push(c);
          }
        }
      }
      frontier = await permitted(candidates, access);
      included.push(...frontier);
    }
    return included;
  }

  return {
    async search(query, access) {
      const { sql: where, options } = whereOf(query, access);
      let rows: Row[] = [];
      if (query.afterId !== undefined && (query.sort.length || query.offset)) throw new Error('keyset paging takes neither sort nor offset');
      if (query.count > 0) {
        // Keyset pages follow the (resource_type, id) unique index, so the next page starts where the last one ended.
        const order = query.afterId !== undefined ? [sql('r.id ASC')] : [...query.sort.map((rule) => compiler.sort(rule, query.resourceType, 'r')), sql('r.rid ASC')];
        rows = await db.query<Row>(
          `SELECT r.rid, r.resource_type, r.id, r.content FROM resource r WHERE ${where.sql}` +
            ` ORDER BY ${order.map((o) => o.sql).join(', ')} LIMIT ? OFFSET ?`,
          [...where.params, ...order.flatMap((o) => o.params), query.count, query.offset],
          options,
        );
      }
      let total: number | undefined;
      if (query.total !== 'none') {
        // A page that is not full already tells the exact total.
        if (query.count > 0 && rows.length < query.count && (rows.length > 0 || query.offset === 0)) {
          total = query.offset + rows.length;
        } else {
          const [c] = await db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM resource r WHERE ${where.sql}`, where.params, options);
          total = Number(c.n);
        }
      }
      const included = await includes(rows, query, access);
      return {
        resources: rows.map((r) => JSON.parse(r.content) as Resource),
        included: included.map((r) => JSON.parse(r.content) as Resource),
        total,
      };
    },
  };
}

/** The include's reference parameter as stored: qualified by its source type, or any source type for `*`. */
function codeFilter(target: IncludeTarget): Sql {
  return target.sourceType === '*'
    ? sql("ref.code LIKE ? ESCAPE '\\'", [`%.${escapeLike(target.param)}`])
    : sql('ref.code = ?', [qualifiedCode(target.sourceType, target.param)]);
}
