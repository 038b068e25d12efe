// Runs the ResourceStore behaviour suite on PostgreSQL (when DATABASE_URL is set) in a fresh schema, plus a race between two pools. https://www.postgresql.org/docs/current/explicit-locking.html
import type { Patient, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { createSearchRegistry } from '../../src/search/registry.js';
import { openPostgresDatabase } from '../../src/store/postgres/postgres-database.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { createSqlResourceStore, migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';
import { resourceStoreSuite } from './resource-store.suite.js';
import { postgresUrlOrSkip } from '../support/backends.js';

const url = postgresUrlOrSkip('ResourceStore on PostgreSQL');

/** A URL whose connections use `schema` as their search path. */
function withSchema(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function freshSchema(base: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const admin = openPostgresDatabase(base, { max: 1 });
  await admin.execute(`CREATE SCHEMA ${schema}`);
  return {
    url: withSchema(base, schema),
    async drop() {
      await admin.execute(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

if (url) {
  resourceStoreSuite('PostgreSQL', async () => {
    const schema = await freshSchema(url);
    const db = openPostgresDatabase(schema.url);
    return {
      db,
      async cleanup() {
        await db.close();
        await schema.drop();
      },
    };
  });

  describe('PostgreSQL shared by several gateway processes', () => {
    it('two pools racing updates of one resource never duplicate or lose a version', async () => {
      const schema = await freshSchema(url);
      const pools: SqlDatabase[] = [openPostgresDatabase(schema.url), openPostgresDatabase(schema.url)];
      try {
        await migrateResourceStore(pools[0]);
        const registry = createSearchRegistry();
        const [a, b] = pools.map((db) => createSqlResourceStore(db, registry));
        // Both processes also race to create the resource (update-as-create on the same new id).
        const first = await Promise.all([
          a.update<Patient>({ resourceType: 'Patient', id: 'race', gender: 'male' }),
          b.update<Patient>({ resourceType: 'Patient', id: 'race', gender: 'female' }),
        ]);
        expect(first.map((p) => p.meta?.versionId).sort()).toEqual(['1', '2']);
        const writes = Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).update<Patient>({ resourceType: 'Patient', id: 'race', birthDate: String(1950 + i) }),
        );
        const results = await Promise.all(writes);
        const versions = results.map((p) => Number(p.meta?.versionId)).sort((x, y) => x - y);
        expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
        const history = await a.history({ resourceType: 'Patient', id: 'race', count: 100, offset: 0 });
        expect(history.total).toBe(22);
        expect(new Set(history.entries.map((e) => e.resource.meta?.versionId)).size).toBe(22);
        const current = (await b.read('Patient', 'race')) as Patient;
        expect(current.meta?.versionId).toBe('22');
      } finally {
        for (const db of pools) await db.close();
        await schema.drop();
      }
    });

    it('inside open transactions (an import batch, a request), the loser of a first write retries without a savepoint and its transaction goes on', async () => {
      const schema = await freshSchema(url);
      const pools: SqlDatabase[] = [openPostgresDatabase(schema.url), openPostgresDatabase(schema.url), openPostgresDatabase(schema.url, { max: 1 })];
      try {
        await migrateResourceStore(pools[0]);
        const registry = createSearchRegistry();
        const [a, b] = pools.map((db) => createSqlResourceStore(db, registry));
        const admin = pools[2];
        /** Until `n` statements of this database wait for a lock (B's insert behind A's uncommitted row). */
        const waiters = async (n: number): Promise<void> => {
          for (let i = 0; i < 2000; i++) {
            const [row] = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
            if (row.n >= n) return;
            await new Promise((resolve) => setImmediate(resolve));
          }
          throw new Error('the second write never waited for the first');
        };
        let bWaiting!: Promise<void>;
        const aDone = a.transaction(async (ta) => {
          await ta.update<Patient>({ resourceType: 'Patient', id: 'tx-race', gender: 'male' });
          bWaiting = waiters(1);
          await bWaiting;
        });
        // B starts once A holds the new row uncommitted.
        for (let i = 0; i < 2000 && bWaiting === undefined; i++) await new Promise((resolve) => setImmediate(resolve));
        const bDone = b.transaction(async (tb) => {
          const second = await tb.update<Patient>({ resourceType: 'Patient', id: 'tx-race', gender: 'female' });
          await expect(tb.create<Patient>({ resourceType: 'Patient', id: 'tx-race' })).rejects.toThrow(/already exists/);
          await tb.create<Patient>({ resourceType: 'Patient', id: 'after-race' });
          return second;
        });
        await aDone;
        const second = await bDone;
        expect(second.meta?.versionId).toBe('2');
        const history = await a.history({ resourceType: 'Patient', id: 'tx-race', count: 10, offset: 0 });
        expect(history.total).toBe(2);
        expect(await a.read('Patient', 'after-race')).toBeDefined();
      } finally {
        for (const db of pools) await db.close();
        await schema.drop();
      }
    });
  });

  describe('PostgreSQL creates of many new resources (ResourceStore.createAbsent, used by the import)', () => {
    /** `db` with the text of every statement it runs recorded, inside its transactions too. */
    function recording(db: SqlDatabase, seen: string[]): SqlDatabase {
      return {
        dialect: db.dialect,
        inTransaction: db.inTransaction,
        txState: db.txState,
        query: (sql, params, options) => (seen.push(sql), db.query(sql, params, options)),
        execute: (sql, params, options) => (seen.push(sql), db.execute(sql, params, options)),
        transaction: (fn) => db.transaction((tx) => fn(recording(tx, seen))),
        close: () => db.close(),
      };
    }

    it('go a chunk of 100 a statement, move each change counter once per fact record, and a racing pool creates each id once', async () => {
      const schema = await freshSchema(url);
      const pools: SqlDatabase[] = [openPostgresDatabase(schema.url), openPostgresDatabase(schema.url)];
      try {
        await migrateResourceStore(pools[0]);
        const registry = createSearchRegistry();
        const seen: string[] = [];
        const store = createSqlResourceStore(recording(pools[0], seen), registry);
        const other = createSqlResourceStore(pools[1], registry);
        // 250 resources: 50 patients, a Consent about each, 150 Encounters.
        const resources = Array.from({ length: 50 }, (_, i) => [
          { resourceType: 'Patient', id: `bulk-${i}` },
          { resourceType: 'Consent', id: `bulk-c${i}`, status: 'active', scope: { text: 'x' }, category: [{ text: 'x' }], patient: { reference: `Patient/bulk-${i}` } },
          ...[0, 1, 2].map((k) => ({ resourceType: 'Encounter', id: `bulk-e${i}-${k}`, status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/bulk-${i}` } })),
        ]).flat() as Resource[];
        // The other process creates every tenth one first.
        const raced = resources.filter((_, i) => i % 10 === 0);
        const [mine, theirs] = await Promise.all([store.createAbsent!(resources), other.createAbsent!(raced)]);
        const inserts = seen.filter((s) => s.startsWith('WITH r AS (INSERT INTO resource'));
        expect(inserts).toHaveLength(3);
        expect(new Set(inserts).size).toBe(1);
        // Each id was created by exactly one of the two.
        const byMe = new Set(mine.filter((r) => r).map((r) => `${r!.resourceType}/${r!.id}`));
        const byThem = new Set(theirs.filter((r) => r).map((r) => `${r!.resourceType}/${r!.id}`));
        for (const r of resources) expect(byMe.has(`${r.resourceType}/${r.id}`) !== byThem.has(`${r.resourceType}/${r.id}`)).toBe(true);
        const [{ n }] = await pools[0].query<{ n: string }>("SELECT count(*) AS n FROM resource_version v JOIN resource r ON r.rid = v.rid WHERE r.id LIKE 'bulk-%'");
        expect(Number(n)).toBe(250);
        // A patient's counter moved twice: its Patient and its Consent; Encounters move none.
        const counters = await pools[0].query<{ name: string; n: string }>("SELECT name, n FROM store_change WHERE name LIKE 'consent-facts:Patient/bulk-%'");
        expect(counters).toHaveLength(50);
        expect(counters.every((c) => Number(c.n) === 2)).toBe(true);
      } finally {
        for (const db of pools) await db.close();
        await schema.drop();
      }
    });
  });

  describe('PostgreSQL change counters (src/store/sql/change-stamp.ts)', () => {
    const triggers = (db: SqlDatabase) =>
      db.query<{ tgname: string }>(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'resource'::regclass AND tgname LIKE 'consent_facts%' ORDER BY tgname`);
    const counters = async (db: SqlDatabase) => (await db.query<{ name: string; n: number | string }>('SELECT name, n FROM store_change ORDER BY name')).map((c) => ({ name: c.name, n: Number(c.n) }));

    it('a store from the single-trigger layout is moved to one trigger per operation, and each write still moves its counter once', async () => {
      const schema = await freshSchema(url);
      const db = openPostgresDatabase(schema.url);
      try {
        await migrateResourceStore(db);
        // The earlier layout: one unconditional trigger for every operation.
        await db.execute('CREATE OR REPLACE TRIGGER consent_facts_changed AFTER INSERT OR UPDATE OR DELETE ON resource FOR EACH ROW EXECUTE FUNCTION consent_facts_changed()');
        await migrateResourceStore(db);
        expect((await triggers(db)).map((t) => t.tgname)).toEqual(['consent_facts_delete', 'consent_facts_insert', 'consent_facts_update']);
        const store = createSqlResourceStore(db, createSearchRegistry());
        const before = await counters(db);
        await store.create({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } });
        // A type consent decisions do not read from moves no counter.
        expect(await counters(db)).toEqual(before);
        await store.update<Patient>({ resourceType: 'Patient', id: 'p1' });
        await store.update<Patient>({ resourceType: 'Patient', id: 'p1', gender: 'female' });
        expect((await counters(db)).find((c) => c.name === 'consent-facts:Patient/p1')?.n).toBe(2);
        await store.delete('Patient', 'p1');
        expect((await counters(db)).find((c) => c.name === 'consent-facts:Patient/p1')?.n).toBe(3);
      } finally {
        await db.close();
        await schema.drop();
      }
    });
  });
} else {
  describe.skip('PostgreSQL (set DATABASE_URL to run)', () => {
    it('is skipped without DATABASE_URL', () => undefined);
  });
}
