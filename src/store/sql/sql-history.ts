// History over the SQL store: instance, type and system level, newest first, each version disclosed only where the policy can judge it. https://hl7.org/fhir/R4/http.html#history
import type { Resource } from '@medplum/fhirtypes';
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { ConditionCompiler } from '../../search/compile-condition.js';
import type { Sql } from '../../search/params/param-type.js';
import { joinSql, sql } from '../../search/params/sql-fragments.js';
import type { AccessPolicy, Condition, HistoryQuery, HistoryResult } from '../resource-store.js';
import type { SqlDatabase } from './database.js';

/**
 * The index rows a policy's condition reads are those of a resource's current version (once deleted, of its last live
 * version, which the deletion keeps), so only that version and the deletion marker can be judged by them. An earlier
 * version may have carried other marks, another holder or no display delay: a corrected document's earlier text is not
 * the citizen's to see (seed 004: "korjattujen asiakirjojen aiempia versioita" are not shown), nor anyone's under the
 * rules its own content would meet. Versions are numbered 1, 2, 3... per resource (sql-resource-store.ts).
 */
const JudgedVersions = '(v.version_id = r.version_id OR (r.deleted = 1 AND v.version_id = r.version_id - 1))';

/**
 * A policy condition over `alias` r restricted to the versions it can judge; TRUE (the archive operator, directory data)
 * reads no index row, so it judges every version alike.
 */
export function versionAccess(compiled: Sql, cond: Condition | undefined): Sql {
  if (!cond || cond.kind === 'true') return compiled;
  return sql(`(${compiled.sql} AND ${JudgedVersions})`, compiled.params);
}

interface VersionRow {
  content: string;
  deleted: number;
}

export function createSqlHistory(db: SqlDatabase, compiler: ConditionCompiler, resourceTypes: () => string[]) {
  /** Without a type, the policy is applied per type: each resource is judged by its own type's condition. */
  function accessOf(query: HistoryQuery, access: AccessPolicy | undefined): Sql {
    if (!access) return sql('1=1');
    if (query.resourceType) return versionAccess(compiler.access(query.resourceType, 'r', access), access.forType(query.resourceType));
    const perType = resourceTypes()
      .map((t) => ({ t, cond: access.forType(t) }))
      .filter((x) => x.cond.kind !== 'false')
      .map(({ t, cond }) => {
        const c = versionAccess(compiler.compile(cond, t, 'r'), cond);
        return sql(`(r.resource_type = ? AND ${c.sql})`, [t, ...c.params]);
      });
    return joinSql(perType, 'OR', 'FALSE');
  }

  return {
    async history(query: HistoryQuery, access?: AccessPolicy): Promise<HistoryResult> {
      const parts: Sql[] = [];
      if (query.resourceType) parts.push(sql('r.resource_type = ?', [query.resourceType]));
      if (query.id) parts.push(sql('r.id = ?', [query.id]));
      if (query.since) {
        const since = new Date(query.since);
        if (Number.isNaN(since.getTime())) throw new OperationOutcomeError(badRequest(`Invalid _since '${query.since}'`, '_since'));
        parts.push(sql('v.last_updated >= ?', [since.toISOString()]));
      }
      if (query.at) {
        parts.push(sql('v.last_updated < ?', [query.at.end]));
        parts.push(sql('NOT EXISTS (SELECT 1 FROM resource_version w WHERE w.rid = v.rid AND w.version_id > v.version_id AND w.last_updated <= ?)', [query.at.start]));
      }
      parts.push(accessOf(query, access));
      const where = joinSql(parts, 'AND', 'TRUE');
      const from = `FROM resource_version v JOIN resource r ON r.rid = v.rid WHERE ${where.sql}`;
      const rows =
        query.count > 0
          ? await db.query<VersionRow>(
              `SELECT v.content, v.deleted ${from} ORDER BY v.last_updated DESC, v.rid DESC, v.version_id DESC LIMIT ? OFFSET ?`,
              [...where.params, query.count, query.offset],
            )
          : [];
      const [c] = await db.query<{ n: number | string }>(`SELECT COUNT(*) AS n ${from}`, where.params);
      return {
        entries: rows.map((r) => ({ resource: JSON.parse(r.content) as Resource, deleted: r.deleted === 1 })),
        total: Number(c.n),
      };
    },
  };
}
