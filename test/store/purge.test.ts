// ResourceStore.purge on SQLite and PostgreSQL: a purged resource leaves only its deletion marker, no content and no index. https://hl7.org/fhir/R4/http.html#delete
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchRegistry } from '../../src/search/registry.js';
import { openPostgresDatabase } from '../../src/store/postgres/postgres-database.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { createSqlResourceStore, migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';
import type { ResourceStore } from '../../src/store/resource-store.js';

interface Opened {
  db: SqlDatabase;
  cleanup(): Promise<void>;
}

async function sqlite(): Promise<Opened> {
  const dir = mkdtempSync(join(tmpdir(), 'kanta-purge-'));
  const db = openSqliteDatabase(join(dir, 'test.db'));
  return { db, cleanup: async () => (await db.close(), rmSync(dir, { recursive: true, force: true })) };
}

async function postgres(): Promise<Opened> {
  const schema = `t_purge_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const admin = openPostgresDatabase(process.env.DATABASE_URL as string, { max: 1 });
  await admin.execute(`CREATE SCHEMA ${schema}`);
  const u = new URL(process.env.DATABASE_URL as string);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const db = openPostgresDatabase(u.toString());
  return {
    db,
    async cleanup() {
      await db.close();
      await admin.execute(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

const backends: [string, () => Promise<Opened>][] = [['SQLite', sqlite], ...(process.env.DATABASE_URL ? ([['PostgreSQL', postgres]] as [string, () => Promise<Opened>][]) : [])];

const weight = (patient: string, value: number): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  subject: { reference: `Patient/${patient}` },
  valueQuantity: { value, system: 'http://unitsofmeasure.org', code: 'kg' },
});

describe.each(backends)('ResourceStore.purge on %s', (_name, open) => {
  let opened: Opened;
  let store: ResourceStore;
  beforeAll(async () => {
    opened = await open();
    await migrateResourceStore(opened.db);
    store = createSqlResourceStore(opened.db, createSearchRegistry(), { appendOnlyTypes: ['AuditEvent'] });
  });
  afterAll(async () => opened?.cleanup());

  const search = (patient: string) =>
    store.search({ resourceType: 'Observation', where: [{ kind: 'param', code: 'subject', values: [`Patient/${patient}`] }], sort: [], count: 10, offset: 0, total: 'accurate', include: [], revinclude: [] });

  it('a purged resource keeps no version content, no index rows and reads as deleted', async () => {
    const created = await store.create(weight('purge-p1', 70));
    await store.update({ ...created, valueQuantity: { value: 71, system: 'http://unitsofmeasure.org', code: 'kg' } });
    const other = await store.create(weight('purge-p1', 80));
    await store.purge!('Observation', created.id!);

    expect(await store.read('Observation', created.id!)).toBeUndefined();
    expect(await store.isDeleted('Observation', created.id!)).toBe(true);
    expect(await store.vread('Observation', created.id!, '1')).toBeUndefined();
    expect((await search('purge-p1')).resources.map((r) => r.id)).toEqual([other.id]);
    const versions = await opened.db.query<{ version_id: number; deleted: number; content: string }>(
      'SELECT v.version_id, v.deleted, v.content FROM resource_version v JOIN resource r ON r.rid = v.rid WHERE r.id = ? ORDER BY v.version_id',
      [created.id],
    );
    expect(versions.map((v) => [Number(v.version_id), Number(v.deleted)])).toEqual([[3, 1]]);
    expect(versions[0].content).not.toContain('29463-7');
    const [rid] = await opened.db.query<{ rid: number }>('SELECT rid FROM resource WHERE id = ?', [created.id]);
    const [tokens] = await opened.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM search_token WHERE rid = ?', [rid.rid]);
    const [compartment] = await opened.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM compartment WHERE rid = ?', [rid.rid]);
    expect(Number(tokens.n)).toBe(0);
    expect(Number(compartment.n)).toBe(0);
  });

  it('purging an already deleted resource erases its earlier content; purging a missing one does nothing', async () => {
    const created = await store.create(weight('purge-p2', 60));
    await store.delete('Observation', created.id!);
    await store.purge!('Observation', created.id!);
    const history = await store.history({ resourceType: 'Observation', id: created.id!, count: 10, offset: 0 });
    expect(history.entries.map((e) => e.deleted)).toEqual([true]);
    await expect(store.purge!('Observation', 'no-such-id')).resolves.toBeUndefined();
  });

  it('append-only types cannot be purged', async () => {
    await expect(store.purge!('AuditEvent', 'x')).rejects.toThrow(/append-only/);
  });
});
