// A2, A3 on PostgreSQL: several gateway processes append to one correct chain; the database refuses changes.
import type { AuditEvent } from '@medplum/fhirtypes';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { createSearchRegistry } from '../../src/search/registry.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { openPostgresDatabase } from '../../src/store/postgres/postgres-database.js';
import { createSqlResourceStore, migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';
import { postgresUrlOrSkip } from '../support/backends.js';

/** Only the database DATABASE_URL names, never a fallback; without it the suite is skipped and says so. */
const BASE = postgresUrlOrSkip('audit chain on PostgreSQL');
const schema = `audit_test_${process.pid}_${Date.now()}`;
const url = BASE ? `${BASE}${BASE.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}` : '';

const registry = createSearchRegistry();
const log = createAuditLog();

function event(worker: number, n: number): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
    action: 'R',
    recorded: new Date().toISOString(),
    agent: [{ requestor: true, who: { display: `worker ${worker} event ${n}` } }],
    source: { observer: { display: 'kanta-gateway' } },
  };
}

describe.skipIf(!BASE)(`audit chain on PostgreSQL${BASE ? '' : ' (skipped: DATABASE_URL is not set)'}`, () => {
  const processes: SqlDatabase[] = [];

  beforeAll(async () => {
    // DATABASE_URL set but unreachable is a failure, not a skip.
    const c = new pg.Client({ connectionString: BASE });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
    for (let i = 0; i < 3; i++) processes.push(openPostgresDatabase(url, { max: 4 }));
    await migrateResourceStore(processes[0]);
    // Several processes start at once: migrate must be idempotent and safe to race.
    await Promise.all(processes.map((db) => log.migrate(db)));
  });

  afterAll(async () => {
    for (const db of processes) await db.close();
    const c = new pg.Client({ connectionString: BASE });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  it('A3: concurrent appends from several processes keep one gapless, verifiable chain', async () => {
    const perWorker = 8;
    await Promise.all(
      processes.flatMap((db, w) =>
        Array.from({ length: perWorker }, (_, n) =>
          db.transaction((tx) => log.append({ db: tx }, [event(w, n)])),
        ),
      ),
    );
    const rows = await processes[0].query<{ seq: number }>('SELECT seq FROM audit_chain ORDER BY seq');
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: processes.length * perWorker }, (_, i) => i + 1));
    expect(await log.verify(processes[1])).toMatchObject({ ok: true, checked: processes.length * perWorker, problems: [] });
  });

  it('A3: PostgreSQL refuses to update, delete or truncate audit rows', async () => {
    const db = processes[0];
    await expect(db.execute("UPDATE audit_chain SET hash = 'x'")).rejects.toThrow('append-only');
    await expect(db.execute('DELETE FROM audit_chain')).rejects.toThrow('append-only');
    await expect(db.execute('TRUNCATE audit_chain')).rejects.toThrow('append-only');
    await expect(db.execute("UPDATE audit_event SET content = '{}'")).rejects.toThrow('append-only');
    await expect(db.execute("UPDATE audit_event SET patient = NULL")).rejects.toThrow('append-only');
    await expect(db.execute('DELETE FROM audit_event')).rejects.toThrow('append-only');
    await expect(db.execute('TRUNCATE audit_event')).rejects.toThrow('append-only');
    expect((await log.verify(db)).ok).toBe(true);
  });

  it('A2: a failed append rolls back with the request transaction', async () => {
    const db = processes[0];
    const before = (await log.verify(db)).checked;
    await expect(
      db.transaction((tx) => log.append({ db: tx }, [event(9, 1), { resourceType: 'Patient' } as unknown as AuditEvent])),
    ).rejects.toThrow('Only AuditEvents can be appended');
    expect(await log.verify(db)).toMatchObject({ ok: true, checked: before });
  });

  it('A3: a chain table with the earlier unique index on each link hash loses it on the next start, keeping every link', async () => {
    const db = processes[0];
    await db.execute('ALTER TABLE audit_chain ADD CONSTRAINT audit_chain_hash_key UNIQUE (hash)');
    await db.transaction((tx) => log.append({ db: tx }, [event(7, 1)]));
    const constraints = async () => db.query<{ conname: string }>("SELECT conname FROM pg_constraint WHERE conrelid = 'audit_chain'::regclass AND contype = 'u' ORDER BY conname");
    expect((await constraints()).map((c) => c.conname)).toEqual(['audit_chain_hash_key', 'audit_chain_resource_id_key']);
    const before = await db.query('SELECT seq, resource_id, prev_hash, hash FROM audit_chain ORDER BY seq');
    const { head } = await log.verify(db);
    await log.migrate(db);
    expect((await constraints()).map((c) => c.conname)).toEqual(['audit_chain_resource_id_key']);
    expect(await db.query('SELECT seq, resource_id, prev_hash, hash FROM audit_chain ORDER BY seq')).toEqual(before);
    expect(await log.verify(db, { expectHead: head })).toMatchObject({ ok: true, checked: before.length, head });
    await expect(db.execute("UPDATE audit_chain SET hash = 'x'")).rejects.toThrow('append-only');
  });
});
