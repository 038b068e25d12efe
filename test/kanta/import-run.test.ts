// The archive-scale import command: resumable after kill -9 with nothing lost or doubled, audited as the operator, idempotent on both stores.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '@medplum/fhirtypes';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/cli/import.js';
import { writePopulation } from '../../src/cli/generate.js';
import { openPostgresDatabase } from '../../src/store/postgres/postgres-database.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';
import { migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';
import { migrateCheckpoints } from '../../src/kanta/import-checkpoint.js';
import { backends, type Backend } from '../support/backends.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kanta-import-run-'));
const population = join(dir, 'population.ndjson');
let resources = 0;

beforeAll(async () => {
  resources = await writePopulation({ patients: 40, out: population, seed: 7, asOf: '2025-06-01' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Target {
  env: Record<string, string>;
  open(): SqlDatabase;
  drop(): Promise<void>;
}

async function target(backend: Backend, name: string): Promise<Target> {
  if (backend === 'sqlite') {
    const dataDir = join(dir, name);
    mkdirSync(dataDir, { recursive: true });
    return { env: { DATA_DIR: dataDir, DATABASE_URL: '' }, open: () => openSqliteDatabase(join(dataDir, 'gateway.db')), drop: async () => undefined };
  }
  const base = process.env.DATABASE_URL!;
  const schema = `imp_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    env: { DATABASE_URL: url },
    open: () => openPostgresDatabase(url),
    async drop() {
      const d = new pg.Client({ connectionString: base });
      await d.connect();
      await d.query(`DROP SCHEMA ${schema} CASCADE`);
      await d.end();
    },
  };
}

async function counts(db: SqlDatabase) {
  const n = async (sql: string) => Number((await db.query<{ n: number }>(sql))[0].n);
  return {
    resources: await n("SELECT COUNT(*) AS n FROM resource WHERE resource_type NOT IN ('AuditEvent')"),
    versions: await n("SELECT COUNT(*) AS n FROM resource_version v JOIN resource r ON r.rid = v.rid WHERE r.resource_type <> 'AuditEvent'"),
    audits: await n("SELECT COUNT(*) AS n FROM audit_event"),
  };
}

/** Runs the command as an operator does (node with tsx, so the validation thread starts from the sources too). */
function importCommand(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/import.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...env, IMPORT_OPERATOR: 'tester' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((done) => child.on('exit', (code) => done({ code, output })));
}

describe.each(backends())('npm run import on %s', (backend) => {
  it('validating a batch ahead on a second thread stores and refuses exactly what one thread does', async () => {
    // A population with one bad record in a later batch: it must be refused, naming its element, either way.
    const lines = readFileSync(population, 'utf8').trimEnd().split('\n');
    const i = lines.findIndex((l, n) => n > 60 && l.includes('"resourceType":"Patient"'));
    const bad = JSON.parse(lines[i]);
    bad.birthDate = '1980-02-30';
    lines[i] = JSON.stringify(bad);
    const file = join(dir, `one-bad-${backend}.ndjson`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const runs: Array<{ code: number | null; output: string; counts: Awaited<ReturnType<typeof counts>>; ids: string[] }> = [];
    for (const flags of [[], ['--one-thread']]) {
      const t = await target(backend, `ahead${flags.length}`);
      try {
        const { code, output } = await importCommand(['--batch-size', '20', ...flags, file], t.env);
        const db = t.open();
        const ids = (await db.query<{ ref: string }>("SELECT resource_type || '/' || id AS ref FROM resource WHERE resource_type <> 'AuditEvent' ORDER BY 1")).map((r) => r.ref);
        runs.push({ code, output, counts: await counts(db), ids });
        await db.close();
      } finally {
        await t.drop();
      }
    }
    const [ahead, one] = runs;
    expect(ahead.output).not.toMatch(/validating on this thread only/);
    expect(ahead.code, ahead.output).toBe(1);
    expect(one.code, one.output).toBe(1);
    // The refusal lines (the record, and the records that needed it) are the same; the rate lines differ.
    const refusal = (o: string) => o.split('\n').filter((l) => l.startsWith('REFUSED') || l.startsWith('  '));
    expect(refusal(ahead.output).join('\n')).toMatch(/1980-02 has no day 30/);
    expect(refusal(ahead.output)).toEqual(refusal(one.output));
    expect(ahead.ids).toEqual(one.ids);
    expect(ahead.ids).not.toContain(`Patient/${bad.id}`);
    expect(ahead.ids.length).toBeLessThan(resources);
    expect(ahead.counts).toEqual(one.counts);
  }, 600_000);

  it('a run killed (-9) during a batch and resumed with --resume stores every resource exactly once', async () => {
    const t = await target(backend, 'resume');
    try {
      // The store exists before the child starts, so its migration and the polling below never race on a new file.
      const db = t.open();
      await migrateResourceStore(db);
      await migrateCheckpoints(db);
      // The child imports in small batches; it is killed once some batches are committed, most likely mid-batch.
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/import.ts'), '--batch-size', '20', population], {
        cwd: root,
        env: { ...process.env, ...t.env, IMPORT_OPERATOR: 'tester' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      let running = true;
      const exited = new Promise<void>((done) => child.on('exit', () => ((running = false), done())));
      // Wait (however slow the shared machine is) until a few batches are committed, then kill it.
      let committed = 0;
      while (running && committed < 60) {
        await new Promise((r) => setTimeout(r, 100));
        committed = await db
          .query<{ totals: string }>('SELECT totals FROM import_checkpoint')
          .then((rows) => (rows[0] ? JSON.parse(rows[0].totals).done : 0), () => 0);
      }
      child.kill('SIGKILL');
      await exited;
      expect(committed, `the child finished before it could be killed: ${output}`).toBeGreaterThanOrEqual(60);
      const atKill = await counts(db);
      expect(atKill.resources).toBeLessThan(resources);
      await db.close();

      const lines: string[] = [];
      const code = await runImport(['--resume', '--batch-size', '20', population], { ...t.env, IMPORT_OPERATOR: 'tester' }, (l) => lines.push(l));
      expect(code, lines.join('\n')).toBe(0);
      expect(lines.join('\n')).toMatch(/resuming after \d+ records/);
      expect(lines.at(-1)).toMatch(new RegExp(`^import: ${resources} created, 0 updated, 0 unchanged, 0 refused`));

      const db2 = t.open();
      const after = await counts(db2);
      await db2.close();
      expect(after.resources).toBe(resources);
      // Nothing doubled: one version per resource, exactly as an uninterrupted import writes.
      expect(after.versions).toBe(resources);
    } finally {
      await t.drop();
    }
  }, 600_000);

  it('audits every written record as the operator (BALP create, one event per batch and patient) and a second run writes nothing', async () => {
    const t = await target(backend, 'audit');
    try {
      const lines: string[] = [];
      expect(await runImport(['--operator', 'operaattori', population], t.env, (l) => lines.push(l))).toBe(0);
      const db = t.open();
      const first = await counts(db);
      expect(first.resources).toBe(resources);
      const events = (await db.query<{ content: string }>("SELECT content FROM audit_event")).map((r) => JSON.parse(r.content) as AuditEvent);
      const patients = (await db.query<{ id: string }>("SELECT id FROM resource WHERE resource_type = 'Patient'")).map((r) => r.id);
      for (const e of events) {
        expect(e.action).toBe('C');
        expect(e.agent.find((a) => a.requestor)?.who?.identifier?.value).toBe('import:operaattori');
      }
      // Every patient's records are in an event about that patient, and no event names another patient's record.
      for (const pid of patients) {
        const own = events.filter((e) => e.entity?.some((x) => x.what?.reference === `Patient/${pid}` && x.role?.code === '1'));
        expect(own.length, pid).toBeGreaterThan(0);
      }
      for (const e of events) {
        const about = e.entity?.filter((x) => x.role?.code === '1').map((x) => x.what?.reference) ?? [];
        expect(about.length).toBeLessThanOrEqual(1);
      }

      const again: string[] = [];
      expect(await runImport([population], t.env, (l) => again.push(l))).toBe(0);
      expect(again.at(-1)).toMatch(new RegExp(`^import: 0 created, 0 updated, ${resources} unchanged, 0 refused`));
      const second = await counts(db);
      await db.close();
      expect(second).toEqual(first);
    } finally {
      await t.drop();
    }
  }, 600_000);

  it('a changed record in a re-import makes exactly one new version, audited as an update', async () => {
    const t = await target(backend, 'changed');
    try {
      expect(await runImport([population], t.env, () => undefined)).toBe(0);
      const changed = join(dir, `changed-${backend}.ndjson`);
      const lines = readFileSync(population, 'utf8').trimEnd().split('\n');
      const i = lines.findIndex((l) => l.includes('"resourceType":"Patient"'));
      const patient = JSON.parse(lines[i]);
      patient.name[0].family = 'Muutettu';
      lines[i] = JSON.stringify(patient);
      writeFileSync(changed, `${lines.join('\n')}\n`);
      const out: string[] = [];
      expect(await runImport([changed], t.env, (l) => out.push(l))).toBe(0);
      expect(out.at(-1)).toMatch(new RegExp(`^import: 0 created, 1 updated, ${resources - 1} unchanged, 0 refused`));
      const db = t.open();
      const [row] = await db.query<{ version_id: number }>("SELECT version_id FROM resource WHERE resource_type = 'Patient' AND id = ?", [patient.id]);
      const updates = (await db.query<{ content: string }>("SELECT content FROM audit_event")).map((r) => JSON.parse(r.content) as AuditEvent).filter((e) => e.action === 'U');
      await db.close();
      expect(Number(row.version_id)).toBe(2);
      expect(updates).toHaveLength(1);
      expect(updates[0].entity?.some((x) => x.what?.reference === `Patient/${patient.id}`)).toBe(true);
    } finally {
      await t.drop();
    }
  }, 600_000);

  it('a re-import mixing new records among stored ones (changed and unchanged), in runs of each, counts and versions each exactly', async () => {
    // The import tries the insert first while records keep turning out new, and reads first while they keep turning
    // out stored (src/kanta/import-fhir.ts): runs of each, both ways round, must give the same counts and versions.
    const t = await target(backend, 'mixed');
    try {
      expect(await runImport([population], t.env, () => undefined)).toBe(0);
      const lines = readFileSync(population, 'utf8').trimEnd().split('\n');
      const encounters = lines.filter((l) => l.includes('"resourceType":"Encounter"'));
      const copy = (l: string, n: number) => JSON.stringify({ ...JSON.parse(l), id: `${JSON.parse(l).id}-new${n}` });
      const fresh = encounters.slice(0, 30).map((l, n) => copy(l, n));
      const changedIds: string[] = [];
      const mixed = lines.map((l, n) => {
        if (n % 25 !== 3 || !l.includes('"resourceType":"Patient"')) return l;
        const p = JSON.parse(l);
        p.name[0].family = 'Muutettu';
        changedIds.push(p.id);
        return JSON.stringify(p);
      });
      expect(changedIds.length).toBeGreaterThan(0);
      // New first (the guess says "new" when the stored ones start), then stored, then new again after many stored.
      const file = join(dir, `mixed-${backend}.ndjson`);
      writeFileSync(file, `${[...fresh.slice(0, 15), ...mixed, ...fresh.slice(15)].join('\n')}\n`);
      const out: string[] = [];
      expect(await runImport([file], t.env, (l) => out.push(l))).toBe(0);
      expect(out.at(-1)).toMatch(new RegExp(`^import: 30 created, ${changedIds.length} updated, ${resources - changedIds.length} unchanged, 0 refused`));
      const db = t.open();
      const versions = await db.query<{ id: string; version_id: number }>("SELECT id, version_id FROM resource WHERE resource_type IN ('Patient', 'Encounter')");
      const c = await counts(db);
      await db.close();
      const byId = new Map(versions.map((v) => [v.id, Number(v.version_id)]));
      for (const id of changedIds) expect(byId.get(id)).toBe(2);
      expect([...byId].filter(([, v]) => v > 1).map(([id]) => id).sort()).toEqual([...changedIds].sort());
      for (const l of fresh) expect(byId.get(JSON.parse(l).id)).toBe(1);
      expect(c.resources).toBe(resources + 30);
      expect(c.versions).toBe(resources + 30 + changedIds.length);
    } finally {
      await t.drop();
    }
  }, 600_000);
});
