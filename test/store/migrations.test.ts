// Versioned, forward-only store migrations (Kysely's Migrator over the gateway's SqlDatabase) on both backends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { createAuditTrail } from '../../src/audit/audit-trail.js';
import { runMigrate } from '../../src/cli/migrate.js';
import { createReadinessCheck } from '../../src/observability/readiness.js';
import { migrateStore, SchemaTooNew } from '../../src/store/migrate.js';
import { StoreMigrations } from '../../src/store/migrations/index.js';
import { openPostgresDatabase } from '../../src/store/postgres/postgres-database.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { migrateResourceStore } from '../../src/store/sql/schema.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';
import { backends, type Backend } from '../support/backends.js';

const audit = createAuditTrail();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A fresh, empty database: a SQLite file, or a new schema in the DATABASE_URL database. */
async function freshDatabase(backend: Backend, pools = 1): Promise<SqlDatabase[]> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kanta-migrate-'));
    const db = openSqliteDatabase(join(dir, 'gateway.db'));
    cleanups.push(async () => {
      await db.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });
    return [db];
  }
  const base = process.env.DATABASE_URL!;
  const schema = `mig_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const dbs = Array.from({ length: pools }, () => openPostgresDatabase(url, { max: 2 }));
  cleanups.push(async () => {
    for (const db of dbs) await db.close().catch(() => undefined);
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP SCHEMA ${schema} CASCADE`);
    await c.end();
  });
  return dbs;
}

const names = StoreMigrations.map(([n]) => n);

describe.each(backends())('store migrations (%s)', (backend) => {
  test('a new database runs every migration once; a second run changes nothing; readiness sees it current', async () => {
    const [db] = await freshDatabase(backend);
    expect(await migrateStore(db, { audit })).toEqual({ applied: names });
    expect(await migrateStore(db, { audit })).toEqual({ applied: [] });
    expect((await db.query<{ name: string }>('SELECT name FROM schema_migration ORDER BY name')).map((r) => r.name)).toEqual(names);
    expect((await createReadinessCheck(db)()).ready).toBe(true);
  });

  test('a database created before migrations were numbered is adopted as migration 1 and brought forward, its data kept', async () => {
    const [db] = await freshDatabase(backend);
    await migrateResourceStore(db);
    await audit.migrate(db);
    await db.execute("INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content) VALUES ('Patient', 'old', 1, '2024-01-01T00:00:00Z', 0, '{}')");
    expect(await migrateStore(db, { audit })).toEqual({ applied: ['0001-initial-schema', '0002-lean-audit-store', '0003-per-patient-change-stamps'] });
    expect(await db.query("SELECT id FROM resource WHERE id = 'old'")).toHaveLength(1);
  });

  test('a database a newer version migrated is refused, changed in nothing, and not ready', async () => {
    const [db] = await freshDatabase(backend);
    await migrateStore(db, { audit });
    await db.execute("INSERT INTO schema_migration (name, timestamp) VALUES ('9999-from-a-newer-version', '2030-01-01T00:00:00Z')");
    await expect(migrateStore(db, { audit })).rejects.toThrow(SchemaTooNew);
    await expect(migrateStore(db, { audit })).rejects.toThrow('the database schema is newer than this gateway (it has run migration 9999-from-a-newer-version');
    const ready = await createReadinessCheck(db)();
    expect(ready).toMatchObject({ ready: false, checks: { store: 'ok', schema: 'failed' } });
  });

  if (backend === 'postgres') {
    test('processes migrating at once: each succeeds, the history has each migration once', async () => {
      const dbs = await freshDatabase(backend, 4);
      const results = await Promise.all(dbs.map((db) => migrateStore(db, { audit })));
      expect(results.flatMap((r) => r.applied)).toEqual(names);
      expect((await dbs[0].query('SELECT name FROM schema_migration')).length).toBe(names.length);
    });
  }
});

describe('npm run migrate', () => {
  test('migrates $DATA_DIR/gateway.db, then reports it current', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanta-migrate-cli-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const out: string[] = [];
    expect(await runMigrate({ DATA_DIR: dir }, (l) => out.push(l))).toBe(0);
    expect(out.pop()).toBe(`Migrated ${join(dir, 'gateway.db')}: ${names.join(', ')}`);
    expect(await runMigrate({ DATA_DIR: dir }, (l) => out.push(l))).toBe(0);
    expect(out.pop()).toBe(`${join(dir, 'gateway.db')} is already at the latest schema`);
  });
});
