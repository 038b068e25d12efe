// `npx tsx bench/audit-append.ts [links]`: the cost of one audit batch commit (ten AuditEvents) as the chain grows, on SQLite and (with DATABASE_URL) PostgreSQL (ONLY_POSTGRES=1: that one alone).
// The audit table and its chain are the store's largest and fastest-growing tables: every request adds an event, so a
// batch's cost must not grow with them. Loads `links` (default 1,000,000) events in 1,000-event batches, then times 2,000
// ten-event batches through the real AuditLog.append, the gateway's audit batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '@medplum/fhirtypes';
import { createAuditLog } from '../src/audit/audit-log.js';
import type { SqlDatabase } from '../src/store/sql/database.js';
import { openSqliteDatabase } from '../src/store/sqlite/sqlite-database.js';
import { openPostgresDatabase } from '../src/store/postgres/postgres-database.js';

const links = Number(process.argv[2] ?? 1_000_000);
const timed = 2000;
const log = createAuditLog();

const event = (n: number): AuditEvent => ({
  resourceType: 'AuditEvent',
  type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
  subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
  action: 'R',
  outcome: '0',
  recorded: new Date().toISOString(),
  agent: [{ requestor: true, who: { identifier: { system: 'urn:oid:1.2.246.21', value: `030368-90${n % 100}` } } }],
  source: { observer: { display: 'kanta-gateway' } },
  entity: [{ what: { reference: `Patient/p${n % 50_000}` } }, { what: { reference: `DocumentReference/d${n}` } }],
});

async function measure(name: string, db: SqlDatabase): Promise<void> {
  await log.migrate(db);
  const load = Date.now();
  for (let n = 0; n < links; n += 1000) await db.transaction((tx) => log.append({ db: tx }, Array.from({ length: 1000 }, (_, i) => event(n + i))));
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let b = 0; b < timed; b++) await db.transaction((tx) => log.append({ db: tx }, Array.from({ length: 10 }, (_, i) => event(b * 10 + i))));
  const wall = Number(process.hrtime.bigint() - start) / 1e6 / timed;
  const used = process.cpuUsage(cpu);
  const check = await log.verify(db, { from: new Date(Date.now() - 60_000).toISOString() });
  console.log(`${name}: ${links.toLocaleString('en')} links loaded in ${((Date.now() - load) / 1000).toFixed(0)} s; a ten-event batch: ${wall.toFixed(2)} ms wall, ${((used.user + used.system) / 1000 / timed).toFixed(2)} ms CPU of this process; chain verifies: ${check.ok}`);
}

if (!process.env.ONLY_POSTGRES) {
  const dir = mkdtempSync(join(tmpdir(), 'audit-append-'));
  try {
    const sqlite = openSqliteDatabase(join(dir, 'audit.db'));
    await measure('SQLite', sqlite).finally(() => sqlite.close());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (process.env.DATABASE_URL) {
  const schema = `bench_audit_${process.pid}`;
  const admin = openPostgresDatabase(process.env.DATABASE_URL, { max: 1 });
  await admin.execute(`CREATE SCHEMA ${schema}`);
  const url = `${process.env.DATABASE_URL}${process.env.DATABASE_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
  const pg = openPostgresDatabase(url, { max: 2 });
  try {
    await measure('PostgreSQL', pg);
  } finally {
    await pg.close();
    await admin.execute(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  }
}
