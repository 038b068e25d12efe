// A3: tampering with the real SQLite store's audit rows is detected by verify() and by `npm run audit:verify`; an older store upgrades in place.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '@medplum/fhirtypes';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRestAuditEvent } from '../../src/audit/audit-event.js';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { createSearchRegistry } from '../../src/search/registry.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { createSqlResourceStore, createSqlResourceStoreFactory, migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';
import { withAuditEventStore } from '../../src/audit/audit-event-store.js';
import { createChainHasher, GENESIS_HASH } from '../../src/audit/audit-chain.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';

const registry = createSearchRegistry();
const log = createAuditLog();

function event(n: number): AuditEvent {
  return buildRestAuditEvent({
    ctx: {
      principal: { kind: 'professional', subject: '030368-9064', organization: '1.2.246.10.99990001.10.0', purposeOfUse: 'TREAT', scopes: [] },
      requestId: `req-${n}`,
      now: new Date(Date.UTC(2026, 10, 26, 10, 0, n)),
      language: 'en',
    },
    interaction: 'read',
    resourceType: 'Encounter',
    id: `e${n}`,
    status: 200,
    patientIds: ['p1'],
    disclosed: [],
    withheld: [],
  });
}

describe('audit chain over the SQLite resource store', () => {
  let dir: string;
  let file: string;
  let db: SqlDatabase;
  let ids: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-'));
    file = join(dir, 'gateway.db');
    db = openSqliteDatabase(file);
    await migrateResourceStore(db);
    await log.migrate(db);
    for (let n = 1; n <= 5; n++) {
      await db.transaction((tx) => log.append({ db: tx }, [event(n)]));
    }
    ids = (await db.query<{ resource_id: string }>('SELECT resource_id FROM audit_chain ORDER BY seq')).map((r) => r.resource_id);
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A raw connection with the append-only triggers dropped: what an attacker with file access could do. */
  function tamper(sql: string[]): void {
    const raw = new Database(file);
    for (const t of ['audit_chain_no_update', 'audit_chain_no_delete', 'audit_event_no_update', 'audit_event_no_delete']) {
      raw.exec(`DROP TRIGGER IF EXISTS ${t}`);
    }
    for (const s of sql) raw.exec(s);
    raw.close();
  }

  const summary = async (): Promise<Array<[number | null, string | null, string]>> => (await log.verify(db)).problems.map((p) => [p.seq, p.resourceId, p.kind]);

  const gatewayStore = () => withAuditEventStore(createSqlResourceStoreFactory(registry, 'sqlite', { appendOnlyTypes: ['AuditEvent'] }))(db);

  it('A3: appended events are ordinary readable and searchable AuditEvents and the chain verifies', async () => {
    const store = gatewayStore();
    const read = await store.read('AuditEvent', ids[0]);
    expect(read).toMatchObject({ resourceType: 'AuditEvent', id: ids[0], action: 'R' });
    const found = await store.search({ resourceType: 'AuditEvent', where: [{ kind: 'param', code: 'patient', values: ['Patient/p1'] }, { kind: 'param', code: 'entity', values: ['Encounter/e3'] }], sort: [], count: 10, offset: 0, total: 'accurate', include: [], revinclude: [] });
    expect(found.resources.map((r) => r.id)).toEqual([ids[2]]);
    expect(found.total).toBe(1);
    expect(await log.verify(db)).toMatchObject({ ok: true, checked: 5, problems: [] });
  });

  it('A3: the store and the database both refuse to change an AuditEvent', async () => {
    const store = gatewayStore();
    const current = await store.read('AuditEvent', ids[0]);
    await expect(store.update({ ...(current as AuditEvent), action: 'D' })).rejects.toThrow('append-only');
    await expect(store.delete('AuditEvent', ids[0])).rejects.toThrow('append-only');
    await expect(store.create({ ...(current as AuditEvent), id: 'another' })).rejects.toThrow('append-only');
    await expect(db.execute(`UPDATE audit_event SET content = '{}' WHERE id = ?`, [ids[0]])).rejects.toThrow('append-only');
    await expect(db.execute(`DELETE FROM audit_event WHERE id = ?`, [ids[0]])).rejects.toThrow('append-only');
    expect((await log.verify(db)).ok).toBe(true);
  });

  it('A3: content edited in the audit table is named as altered', async () => {
    tamper([`UPDATE audit_event SET content = replace(content, '"action":"R"', '"action":"D"') WHERE id = '${ids[2]}'`]);
    expect(await summary()).toEqual([[3, ids[2], 'altered']]);
  });

  it('A3: a deleted AuditEvent row is named as removed', async () => {
    tamper([`DELETE FROM audit_event WHERE id = '${ids[1]}'`]);
    expect(await summary()).toEqual([[2, ids[1], 'removed']]);
  });

  it('A3: a deleted chain row is named as removed, with the AuditEvent it covered', async () => {
    tamper([`DELETE FROM audit_chain WHERE seq = 3`]);
    expect(await summary()).toEqual([[3, ids[2], 'removed']]);
  });

  it('A3: chain rows swapped in order are named as reordered', async () => {
    tamper(['UPDATE audit_chain SET seq = 100 WHERE seq = 2', 'UPDATE audit_chain SET seq = 2 WHERE seq = 3', 'UPDATE audit_chain SET seq = 3 WHERE seq = 100']);
    expect(await summary()).toEqual([
      [2, ids[2], 'reordered'],
      [3, ids[1], 'reordered'],
    ]);
  });

  it('A3: an AuditEvent slipped into the audit table without a chain row is named as inserted', async () => {
    tamper([`INSERT INTO audit_event (id, recorded, recorded_ms, agent, entity, type, subtype, content) VALUES ('forged', '2026-01-01T00:00:00Z', 0, '', '', '', '', '{"resourceType":"AuditEvent","id":"forged"}')`]);
    expect(await summary()).toEqual([[null, 'forged', 'inserted']]);
  });

  it('A3: audit:verify prints each broken event and exits 1; an intact chain exits 0', async () => {
    const ok: string[] = [];
    expect(await runAuditVerify({ DATA_DIR: dir }, (l) => ok.push(l))).toBe(0);
    expect(ok.at(-1)).toMatch(/^Audit chain intact: 5 AuditEvents checked; head [0-9a-f]{64}$/);

    tamper([`UPDATE audit_event SET content = replace(content, '"outcome":"0"', '"outcome":"4"') WHERE id = '${ids[0]}'`, 'DELETE FROM audit_chain WHERE seq = 4']);
    const lines: string[] = [];
    expect(await runAuditVerify({ DATA_DIR: dir }, (l) => lines.push(l))).toBe(1);
    expect(lines).toContain('Audit chain BROKEN: 2 problem(s) in 4 chain rows');
    expect(lines).toContain(`  altered   seq 1 AuditEvent/${ids[0]}: AuditEvent content does not match its hash`);
    expect(lines).toContain(`  removed   seq 4 AuditEvent/${ids[3]}: Chain row of this AuditEvent was removed`);
  });

  it('audit:verify exits 2 without creating a database when none exists', async () => {
    const lines: string[] = [];
    expect(await runAuditVerify({ DATA_DIR: join(dir, 'nowhere') }, (l) => lines.push(l))).toBe(2);
    expect(lines[0]).toContain('No database at');
  });
});

describe('a store written before the lean audit table', () => {
  it('upgrades in place: its AuditEvents and their index rows move to the audit table unchanged, and the chain still verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-legacy-'));
    const db = openSqliteDatabase(join(dir, 'gateway.db'));
    try {
      await migrateResourceStore(db);
      // The earlier layout: AuditEvents stored (and indexed) as generic resources, the chain pointing at them.
      await db.execute('CREATE TABLE audit_chain (seq INTEGER PRIMARY KEY, resource_id TEXT NOT NULL UNIQUE, recorded TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)');
      const legacy = createSqlResourceStore(db, registry);
      const hash = createChainHasher();
      let prev = GENESIS_HASH;
      const ids: string[] = [];
      for (let n = 1; n <= 3; n++) {
        const stored = await legacy.create(event(n));
        ids.push(stored.id!);
        const h = hash(prev, stored);
        await db.execute('INSERT INTO audit_chain (seq, resource_id, recorded, prev_hash, hash) VALUES (?, ?, ?, ?, ?)', [n, stored.id, stored.recorded, prev, h]);
        prev = h;
      }
      const indexRows = async () => Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM search_token t JOIN resource r ON r.rid = t.rid WHERE r.resource_type = 'AuditEvent'`))[0]?.n ?? 0);
      expect(await indexRows()).toBeGreaterThan(0);

      await log.migrate(db);
      expect((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM resource WHERE resource_type = 'AuditEvent'`))[0].n).toBe(0);
      expect((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM search_token'))[0].n).toBe(0);
      expect(await log.verify(db)).toMatchObject({ ok: true, checked: 3 });
      await db.transaction((tx) => log.append({ db: tx }, [event(4)]));
      expect(await log.verify(db)).toMatchObject({ ok: true, checked: 4 });
      const store = withAuditEventStore(createSqlResourceStoreFactory(registry, 'sqlite'))(db);
      const found = await store.search({ resourceType: 'AuditEvent', where: [{ kind: 'param', code: 'patient', values: ['p1'] }], sort: [], count: 10, offset: 0, total: 'accurate', include: [], revinclude: [] });
      expect(found.resources.map((r) => r.id).slice(0, 3)).toEqual(ids);
      expect(found.total).toBe(4);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a store whose chain table kept a unique index on each link hash', () => {
  const hashIndexes = async (db: SqlDatabase) =>
    db.query<{ name: string }>(`SELECT il.name FROM pragma_index_list('audit_chain') il JOIN pragma_index_info(il.name) ii WHERE ii.name = 'hash'`);
  /** A fresh store with the resource and audit tables as migrate creates them today. */
  async function withStore(fn: (db: SqlDatabase) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'audit-hash-index-'));
    const db = openSqliteDatabase(join(dir, 'gateway.db'));
    try {
      await migrateResourceStore(db);
      await log.migrate(db);
      await fn(db);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('A3: upgrades in place: the index goes, every link stays, the chain verifies, the append-only triggers still hold and --expect-head still finds the head', () =>
    withStore(async (db) => {
      for (let n = 1; n <= 4; n++) await db.transaction((tx) => log.append({ db: tx }, [event(n)]));
      // The layout before 2026-12-02, as the earlier migrate created it (with its triggers), holding the same links.
      await db.transaction(async (tx) => {
        await tx.execute('CREATE TABLE old_chain (seq INTEGER PRIMARY KEY, resource_id TEXT NOT NULL UNIQUE, recorded TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)');
        await tx.execute('INSERT INTO old_chain SELECT seq, resource_id, recorded, prev_hash, hash FROM audit_chain');
        await tx.execute('DROP TABLE audit_chain');
        await tx.execute('ALTER TABLE old_chain RENAME TO audit_chain');
        for (const op of ['UPDATE', 'DELETE']) {
          await tx.execute(`CREATE TRIGGER audit_chain_no_${op.toLowerCase()} BEFORE ${op} ON audit_chain BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END`);
        }
      });
      expect(await hashIndexes(db)).toHaveLength(1);
      const before = await db.query('SELECT seq, resource_id, recorded, prev_hash, hash FROM audit_chain ORDER BY seq');
      const { head } = await log.verify(db);

      await log.migrate(db);
      expect(await hashIndexes(db)).toEqual([]);
      expect(await db.query('SELECT seq, resource_id, recorded, prev_hash, hash FROM audit_chain ORDER BY seq')).toEqual(before);
      expect(await log.verify(db, { expectHead: head })).toMatchObject({ ok: true, checked: 4, head });
      expect((await log.verify(db, { expectHead: 'f'.repeat(64) })).problems.map((p) => p.kind)).toEqual(['removed']);
      // A head older than a ranged check is looked up outside the rows checked.
      const first = (before[0] as { hash: string }).hash;
      expect(await log.verify(db, { from: '2026-11-26T10:00:03.000Z', expectHead: first })).toMatchObject({ ok: true, checked: 2 });
      await expect(db.execute("UPDATE audit_chain SET hash = 'x'")).rejects.toThrow('append-only');
      await expect(db.execute('DELETE FROM audit_chain')).rejects.toThrow('append-only');
      await db.transaction((tx) => log.append({ db: tx }, [event(5)]));
      // A second start finds nothing to do.
      await log.migrate(db);
      expect(await log.verify(db)).toMatchObject({ ok: true, checked: 5 });
    }));

  it('A3: a new store is created without it', () =>
    withStore(async (db) => {
      expect(await hashIndexes(db)).toEqual([]);
    }));
});
