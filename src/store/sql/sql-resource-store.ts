// The ResourceStore over SQL (SQLite or PostgreSQL): versioned writes with their search index, reads, search and history. https://hl7.org/fhir/R4/http.html
import { randomUUID } from 'node:crypto';
import { badRequest, conflict, forbidden, OperationOutcomeError, preconditionFailed } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { createConditionCompiler, type ConditionCompiler } from '../../search/compile-condition.js';
import { createResourceIndexer, type ResourceIndexer } from '../../search/index-resource.js';
import type { SearchRegistry } from '../../search/registry.js';
import type { AccessPolicy, ResourceStore, WriteOptions } from '../resource-store.js';
import { SamePlan, type SqlDatabase } from './database.js';
import { dialectOf } from './dialect.js';
import { createManyStatement, deleteIndex, indexInsertsFrom, writeIndex, type NewRow } from './index-writer.js';
import { createSqlHistory, versionAccess } from './sql-history.js';
import { createSqlSearch } from './sql-search.js';
import { noteWrite, readChangeStamp } from './change-stamp.js';

export { migrateResourceStore } from './schema.js';

export interface SqlResourceStoreOptions {
  /** Types that can only be created: update and delete are refused by the store itself (e.g. AuditEvent). */
  appendOnlyTypes?: string[];
}

interface CurrentRow {
  rid: number;
  version_id: number;
  last_updated: string;
  deleted: number;
}

/** Concurrent first writes of the same id can collide on the unique key; the loser retries once it can see the winner. */
const WRITE_ATTEMPTS = 3;

/** What a write attempt returns when its new row lost to a concurrent insert of the same id (nothing was written). */
const LostRace: unique symbol = Symbol('lost race');

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/** Resources a createAbsent statement inserts at most (PostgreSQL): a chunk is inserted while the caller builds the next. */
const CREATE_MANY_CHUNK = 100;

function parseIfMatch(ifMatch: string): string {
  return ifMatch.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** meta.lastUpdated strictly increases per resource even when the clock does not. */
function nextInstant(previous: string | undefined): string {
  const now = Date.now();
  const prev = previous ? Date.parse(previous) : -Infinity;
  return new Date(Math.max(now, prev + 1)).toISOString();
}

interface Shared {
  registry: SearchRegistry;
  compiler: ConditionCompiler;
  indexer: ResourceIndexer;
  appendOnly: Set<string>;
}

function bind(db: SqlDatabase, shared: Shared): ResourceStore {
  const { compiler, indexer, appendOnly, registry } = shared;
  const dialect = dialectOf(db.dialect);
  const searcher = createSqlSearch(db, compiler);
  const historian = createSqlHistory(db, compiler, () => registry.resourceTypes());

  async function current(tx: SqlDatabase, type: string, id: string): Promise<CurrentRow | undefined> {
    const [row] = await tx.query<CurrentRow>(
      `SELECT rid, version_id, last_updated, deleted FROM resource WHERE resource_type = ? AND id = ?${dialect.forUpdate}`,
      [type, id],
      SamePlan,
    );
    return row;
  }

  /**
   * Runs a write in a transaction of its own, or in the caller's when there is one (an import batch, a request's audit
   * batch, a bundle), without a savepoint: a write that meets a concurrent first write of the same id has written
   * nothing (its row insert, the first statement, does nothing on conflict, so the transaction stays usable on
   * PostgreSQL) and runs again, now seeing the winner. A caller that carries on after a failed write holds a savepoint
   * of its own (import-run, audit-batch, bundle entries), which a savepoint here used to duplicate at two round trips
   * per write.
   */
  async function withRetry<T>(fn: (tx: SqlDatabase) => Promise<T | typeof LostRace>): Promise<T> {
    const attempts = async (tx: SqlDatabase): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        const result = await fn(tx);
        if (result !== LostRace) return result;
        if (attempt >= WRITE_ATTEMPTS) throw new OperationOutcomeError(conflict('A concurrent write of the same resource won; try again'));
      }
    };
    return db.inTransaction ? attempts(db) : db.transaction(attempts);
  }

  /**
   * Writes version `versionId` of a resource (or its deletion marker) and, for live versions, its index. A new row is
   * inserted unless the id exists by then (a concurrent first write): then nothing is written and LostRace returned.
   */
  async function writeVersion(tx: SqlDatabase, existing: CurrentRow | undefined, resource: Resource, deleted: boolean): Promise<void | typeof LostRace> {
    noteWrite(tx, resource.resourceType);
    const versionId = Number(resource.meta?.versionId);
    const lastUpdated = resource.meta?.lastUpdated as string;
    const content = JSON.stringify(resource);
    let rid: number;
    if (existing) {
      rid = existing.rid;
      await tx.execute('UPDATE resource SET version_id = ?, last_updated = ?, deleted = ?, content = ? WHERE rid = ?', [
        versionId,
        lastUpdated,
        deleted ? 1 : 0,
        content,
        rid,
      ], SamePlan);
    } else if (tx.dialect === 'postgres') {
      // The row, its first version (a copy of the row just inserted) and its index rows in one round trip.
      const index = deleted ? undefined : indexInsertsFrom('r', indexer.index(resource));
      const withs = (index ?? []).map((s, i) => `, w${i} AS (${s.sql})`).join('');
      const [row] = await tx.query<{ rid: number }>(
        'WITH r AS (INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content) VALUES (?, ?, ?, ?, ?, ?)' +
          ` ON CONFLICT DO NOTHING RETURNING rid, version_id, last_updated, deleted, content)${withs}` +
          ' INSERT INTO resource_version (rid, version_id, last_updated, deleted, content) SELECT rid, version_id, last_updated, deleted, content FROM r RETURNING rid',
        [resource.resourceType, resource.id, versionId, lastUpdated, deleted ? 1 : 0, content, ...(index ?? []).flatMap((s) => s.params)],
        SamePlan,
      );
      if (!row) return LostRace;
      if (index) return;
      rid = Number(row.rid);
    } else {
      const [row] = await tx.query<{ rid: number }>(
        'INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING rid',
        [resource.resourceType, resource.id, versionId, lastUpdated, deleted ? 1 : 0, content],
        SamePlan,
      );
      if (!row) return LostRace;
      rid = Number(row.rid);
    }
    if (existing || tx.dialect !== 'postgres') {
      await tx.execute('INSERT INTO resource_version (rid, version_id, last_updated, deleted, content) VALUES (?, ?, ?, ?, ?)', [
        rid,
        versionId,
        lastUpdated,
        deleted ? 1 : 0,
        content,
      ], SamePlan);
    }
    // A deletion keeps the last live version's index rows: history and vread are judged on them,
    // while every search path excludes deleted rows.
    if (!deleted) {
      if (existing) await deleteIndex(tx, rid);
      await writeIndex(tx, rid, indexer.index(resource));
    }
  }

  function stamp<T extends Resource>(resource: T, id: string, versionId: number, lastUpdated: string): T {
    return { ...resource, id, meta: { ...resource.meta, versionId: String(versionId), lastUpdated } };
  }

  function checkType(type: string): void {
    if (!type || !/^[A-Z][A-Za-z]+$/.test(type)) throw new OperationOutcomeError(badRequest(`Invalid resource type '${type}'`));
  }

  function checkAppendOnly(type: string, action: string): void {
    if (appendOnly.has(type)) {
      throw new OperationOutcomeError({
        ...forbidden,
        issue: [{ severity: 'error', code: 'forbidden', details: { text: `${type} resources are append-only and cannot be ${action}` } }],
      });
    }
  }

  const store: ResourceStore = {
    async read(type, id, access) {
      const acc = compiler.access(type, 'r', access);
      const [row] = await db.query<{ content: string; deleted: number }>(
        `SELECT r.content, r.deleted FROM resource r WHERE r.resource_type = ? AND r.id = ? AND ${acc.sql}`,
        [type, id, ...acc.params],
        // The consent conditions test the one row found by key (EXISTS on its own index rows).
        SamePlan,
      );
      return row && row.deleted !== 1 ? (JSON.parse(row.content) as Resource) : undefined;
    },

    async vread(type, id, versionId, access) {
      if (!/^\d{1,9}$/.test(versionId)) return undefined;
      const acc = versionAccess(compiler.access(type, 'r', access), access?.forType(type));
      const [row] = await db.query<{ content: string; deleted: number }>(
        `SELECT v.content, v.deleted FROM resource_version v JOIN resource r ON r.rid = v.rid` +
          ` WHERE r.resource_type = ? AND r.id = ? AND v.version_id = ? AND ${acc.sql}`,
        [type, id, Number(versionId), ...acc.params],
        SamePlan,
      );
      return row && row.deleted !== 1 ? (JSON.parse(row.content) as Resource) : undefined;
    },

    history: (query, access) => historian.history(query, access),
    search: (query, access) => searcher.search(query, access),

    async create(resource) {
      checkType(resource.resourceType);
      const id = resource.id ?? randomUUID();
      if (!ID_RE.test(id)) throw new OperationOutcomeError(badRequest(`Invalid id '${id}'`, 'Resource.id'));
      return withRetry(async (tx) => {
        // No lookup first: the row insert itself finds an existing id (live or deleted), one statement fewer per create.
        const stored = stamp(resource, id, 1, nextInstant(undefined));
        if ((await writeVersion(tx, undefined, stored, false)) === LostRace) {
          throw new OperationOutcomeError(conflict(`${resource.resourceType}/${id} already exists`));
        }
        return stored;
      });
    },

    async createAbsent(resources) {
      for (const r of resources) {
        checkType(r.resourceType);
        if (!r.id || !ID_RE.test(r.id)) throw new OperationOutcomeError(badRequest(`Invalid or missing id '${r.id ?? ''}'`, 'Resource.id'));
      }
      const stored = resources.map((r) => stamp(r, r.id as string, 1, nextInstant(undefined)));
      const run = async (tx: SqlDatabase): Promise<Array<Resource | undefined>> => {
        if (tx.dialect !== 'postgres') {
          // In process, a statement a table costs no round trip: the one-resource path, each id checked by its own insert.
          const out: Array<Resource | undefined> = [];
          for (const s of stored) out.push((await writeVersion(tx, undefined, s, false)) === LostRace ? undefined : s);
          return out;
        }
        const inserted = new Set<string>();
        for (let i = 0; i < stored.length; i += CREATE_MANY_CHUNK) {
          const rows: NewRow[] = stored.slice(i, i + CREATE_MANY_CHUNK).map((s) => {
            noteWrite(tx, s.resourceType);
            return { resourceType: s.resourceType, id: s.id as string, lastUpdated: s.meta?.lastUpdated as string, content: JSON.stringify(s), index: indexer.index(s) };
          });
          const { sql, params } = createManyStatement(rows);
          for (const row of await tx.query<{ resource_type: string; id: string }>(sql, params, SamePlan)) inserted.add(`${row.resource_type}/${row.id}`);
        }
        return stored.map((s) => (inserted.has(`${s.resourceType}/${s.id}`) ? s : undefined));
      };
      return db.inTransaction ? run(db) : db.transaction(run);
    },

    async update(resource, options?: WriteOptions) {
      checkType(resource.resourceType);
      const id = resource.id;
      if (!id || !ID_RE.test(id)) throw new OperationOutcomeError(badRequest(`Invalid or missing id '${id ?? ''}'`, 'Resource.id'));
      checkAppendOnly(resource.resourceType, 'updated');
      return withRetry(async (tx) => {
        const existing = await current(tx, resource.resourceType, id);
        if (options?.ifMatch !== undefined) {
          const expected = parseIfMatch(options.ifMatch);
          if (!existing || String(existing.version_id) !== expected) {
            throw new OperationOutcomeError({
              ...preconditionFailed,
              issue: [
                {
                  severity: 'error',
                  code: 'conflict',
                  details: { text: `Version mismatch: If-Match ${expected}, current ${existing ? existing.version_id : 'none'}` },
                },
              ],
            });
          }
        }
        const stored = stamp(resource, id, existing ? existing.version_id + 1 : 1, nextInstant(existing?.last_updated));
        return (await writeVersion(tx, existing, stored, false)) === LostRace ? LostRace : stored;
      });
    },

    async delete(type, id) {
      checkType(type);
      checkAppendOnly(type, 'deleted');
      await withRetry(async (tx) => {
        const existing = await current(tx, type, id);
        if (!existing || existing.deleted === 1) return;
        const marker = stamp({ resourceType: type, id } as Resource, id, existing.version_id + 1, nextInstant(existing.last_updated));
        await writeVersion(tx, existing, marker, true);
      });
    },

    async purge(type, id) {
      checkType(type);
      checkAppendOnly(type, 'deleted');
      await withRetry(async (tx) => {
        noteWrite(tx, type);
        const existing = await current(tx, type, id);
        if (!existing) return;
        if (existing.deleted !== 1) {
          const marker = stamp({ resourceType: type, id } as Resource, id, existing.version_id + 1, nextInstant(existing.last_updated));
          await writeVersion(tx, existing, marker, true);
        }
        // Deletion markers hold no content; every live version, and the index a deletion keeps, goes.
        await tx.execute('DELETE FROM resource_version WHERE rid = ? AND deleted = 0', [existing.rid]);
        await deleteIndex(tx, existing.rid);
      });
    },

    async isDeleted(type, id) {
      const [row] = await db.query<{ deleted: number }>('SELECT deleted FROM resource WHERE resource_type = ? AND id = ?', [type, id]);
      return row?.deleted === 1;
    },

    changeStamp: (patientId) => readChangeStamp(db, patientId),

    transaction(fn) {
      return db.transaction((tx) => fn(bind(tx, shared)));
    },
  };
  return store;
}

export function createSqlResourceStore(db: SqlDatabase, registry: SearchRegistry, opts: SqlResourceStoreOptions = {}): ResourceStore {
  return createSqlResourceStoreFactory(registry, db.dialect, opts)(db);
}

/**
 * Binds stores to connections (one per request transaction) while the condition compiler and the
 * indexer, which compile every search parameter's expression, are built once.
 */
export function createSqlResourceStoreFactory(registry: SearchRegistry, dialect: SqlDatabase['dialect'], opts: SqlResourceStoreOptions = {}): (db: SqlDatabase) => ResourceStore {
  const shared: Shared = {
    registry,
    compiler: createConditionCompiler(registry, dialect),
    indexer: createResourceIndexer(registry),
    appendOnly: new Set(opts.appendOnlyTypes ?? []),
  };
  return (db) => bind(db, shared);
}

export type { AccessPolicy };
