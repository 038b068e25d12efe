// Index rows are keyed by type-qualified parameter codes, so one type's lookups never walk another type's rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSearchRegistry } from '../../src/search/registry.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { createSqlResourceStore, migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';

describe('type-qualified index codes', () => {
  let dir: string;
  let db: SqlDatabase;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kanta-index-'));
    db = openSqliteDatabase(join(dir, 'test.db'));
    await migrateResourceStore(db);
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const registry = createSearchRegistry();
  const audit = (i: number) => ({
    resourceType: 'AuditEvent' as const,
    type: { code: 'rest' },
    recorded: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
    agent: [{ requestor: true, who: { reference: 'Patient/p1' } }],
    source: { observer: { display: 'gw' } },
    entity: [{ what: { reference: 'Patient/p1' } }],
  });

  test('AuditEvents about a patient are indexed apart from the Consents of that patient', async () => {
    const store = createSqlResourceStore(db, registry);
    await store.create({ resourceType: 'Consent', status: 'active', scope: { text: 'x' }, category: [{ text: 'x' }], patient: { reference: 'Patient/p1' }, policyRule: { text: 'x' } } as never);
    for (let i = 0; i < 5; i++) await store.create(audit(i) as never);
    const rows = await db.query<{ code: string; n: number }>(
      "SELECT code, COUNT(*) AS n FROM search_reference WHERE target_type = 'Patient' AND target_id = 'p1' GROUP BY code ORDER BY code",
    );
    expect(rows.map((r) => r.code)).toEqual(expect.arrayContaining(['AuditEvent.patient', 'Consent.patient']));
    expect(rows.find((r) => r.code === 'Consent.patient')?.n).toBe(1);
    const found = await store.search({ resourceType: 'Consent', where: [{ kind: 'param', code: 'patient', values: ['Patient/p1'] }], sort: [], count: 10, offset: 0, total: 'accurate', include: [], revinclude: [] });
    expect(found.total).toBe(1);
  });

  test('a store written with unqualified codes is upgraded once at migration', async () => {
    const store = createSqlResourceStore(db, registry);
    await store.create({ resourceType: 'Consent', status: 'active', scope: { text: 'x' }, category: [{ text: 'x' }], patient: { reference: 'Patient/p1' }, policyRule: { text: 'x' } } as never);
    // Simulate the earlier format: codes without their type, and no format marker.
    await db.execute("UPDATE search_reference SET code = substr(code, instr(code, '.') + 1)");
    await db.execute("UPDATE search_token SET code = substr(code, instr(code, '.') + 1)");
    await db.execute('DELETE FROM store_meta');
    await migrateResourceStore(db);
    const codes = await db.query<{ code: string }>("SELECT DISTINCT code FROM search_reference WHERE target_id = 'p1'");
    expect(codes.map((c) => c.code)).toEqual(['Consent.patient']);
    const found = await store.search({ resourceType: 'Consent', where: [{ kind: 'param', code: 'patient', values: ['Patient/p1'] }], sort: [], count: 10, offset: 0, total: 'accurate', include: [], revinclude: [] });
    expect(found.total).toBe(1);
    await migrateResourceStore(db);
    expect((await db.query<{ code: string }>("SELECT DISTINCT code FROM search_reference WHERE target_id = 'p1'")).map((c) => c.code)).toEqual(['Consent.patient']);
  });
});
