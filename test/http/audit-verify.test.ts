// A3 end to end: real API traffic, then `audit:verify` (in-process and as `npm run`) and `audit:export`; stored rows tampered with directly must be caught and named.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runAuditExport } from '../../src/cli/audit-export.js';
import { runAuditHead } from '../../src/cli/audit-head.js';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { ProjectRoot } from '../../src/gateway.js';
import { backends, type Backend } from '../support/backends.js';
import { SystemClaims } from '../support/test-gateway.js';
import { startWithRawAccess, type Started } from './audit-support.js';

/** What someone with write access to the database does first: switch the append-only triggers off. */
const unlock = (backend: Backend): string =>
  backend === 'sqlite'
    ? ['audit_chain_no_update', 'audit_chain_no_delete', 'audit_event_no_update', 'audit_event_no_delete']
        .map((t) => `DROP TRIGGER ${t};`)
        .join('\n')
    : 'ALTER TABLE audit_chain DISABLE TRIGGER USER; ALTER TABLE audit_event DISABLE TRIGGER USER;';

/** Real traffic of several kinds, each writing AuditEvents. */
async function traffic(s: Started): Promise<void> {
  const auth = `Bearer ${await s.gateway.devIssuer!.mint(SystemClaims)}`;
  const fhir = () => request(s.gateway.app);
  const created = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', birthDate: '1970-01-01' });
  expect(created.status).toBe(201);
  await fhir().get(`/fhir/Patient/${created.body.id}`).set('Authorization', auth).expect(200);
  await fhir().get('/fhir/Patient?birthdate=1970-01-01').set('Authorization', auth).expect(200);
  await fhir().put(`/fhir/Patient/${created.body.id}`).set('Authorization', auth).set('Content-Type', 'application/fhir+json').send({ ...created.body, gender: 'other' }).expect(200);
  await fhir().get('/fhir/Patient/missing').set('Authorization', auth).expect(404);
  await fhir().get('/fhir/Patient').set('Authorization', 'Bearer broken').expect(401);
  await fhir().get(`/fhir/Patient/${created.body.id}/_history`).set('Authorization', auth).expect(200);
}

async function verify(s: Started): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runAuditVerify(s.env, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

async function chainRow(s: Started, seq: number): Promise<string> {
  const [row] = await s.raw.query<{ resource_id: string }>(`SELECT resource_id FROM audit_chain WHERE seq = ${seq}`);
  return row.resource_id;
}

describe.each(backends())('A3: audit chain verification and export after API traffic (%s)', (backend) => {
  const started: Started[] = [];
  async function withTraffic(): Promise<Started> {
    const s = await startWithRawAccess(backend);
    started.push(s);
    await traffic(s);
    return s;
  }
  afterAll(async () => {
    for (const s of started) await s.close();
  });

  describe('an untouched chain', () => {
    let s: Started;
    beforeAll(async () => {
      s = await withTraffic();
    });

    test('A3: audit:verify reports the chain intact, every stored AuditEvent linked', async () => {
      const [{ n }] = await s.raw.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM audit_event`);
      expect(Number(n)).toBeGreaterThanOrEqual(7);
      const { code, out } = await verify(s);
      expect(code).toBe(0);
      expect(out).toContain(`Audit chain intact: ${Number(n)} AuditEvents checked`);
    });

    test('A3: the store itself refuses to change or delete AuditEvents and chain rows, whatever the API does', async () => {
      const id = await chainRow(s, 2);
      await expect(s.raw.exec(`UPDATE audit_event SET content = content WHERE id = '${id}'`)).rejects.toThrow(/append-only/);
      await expect(s.raw.exec(`DELETE FROM audit_chain WHERE seq = 2`)).rejects.toThrow(/append-only/);
      await expect(s.raw.exec(`UPDATE audit_chain SET hash = prev_hash WHERE seq = 2`)).rejects.toThrow(/append-only/);
      expect((await verify(s)).code).toBe(0);
    });

    test('audit:export writes the period’s AuditEvents as NDJSON in chain order, to stdout or a file', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const chunks: string[] = [];
      const info: string[] = [];
      const io = { stdout: { write: (c: string) => (chunks.push(c), true), once: () => undefined }, info: (l: string) => info.push(l) };
      expect(await runAuditExport(['--from', today, '--to', today], s.env, io)).toBe(0);
      const lines = chunks.join('').split('\n').filter(Boolean);
      const events = lines.map((l) => JSON.parse(l) as AuditEvent);
      const ids = await s.raw.query<{ resource_id: string }>('SELECT resource_id FROM audit_chain ORDER BY seq');
      expect(events.map((e) => e.id)).toEqual(ids.map((r) => r.resource_id));
      expect(events.every((e) => e.resourceType === 'AuditEvent')).toBe(true);
      expect(events.some((e) => e.type.code === '110114')).toBe(true);
      expect(info.join('\n')).toMatch(new RegExp(`Exported ${events.length} AuditEvents`));

      const dir = mkdtempSync(join(tmpdir(), 'audit-export-'));
      try {
        const out = join(dir, 'audit.ndjson');
        expect(await runAuditExport(['--from', '2000-01-01', '--to', '2999-12-31', '--out', out], s.env, io)).toBe(0);
        expect(readFileSync(out, 'utf8')).toBe(chunks.join(''));
        const empty = join(dir, 'none.ndjson');
        expect(await runAuditExport(['--from', '2000-01-01', '--to', '2000-12-31', '--out', empty], s.env, io)).toBe(0);
        expect(readFileSync(empty, 'utf8')).toBe('');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('audit:export refuses a missing or impossible period with exit 2 and a message', async () => {
      const info: string[] = [];
      const io = { stdout: { write: () => true, once: () => undefined }, info: (l: string) => info.push(l) };
      expect(await runAuditExport(['--from', '2026-01-01'], s.env, io)).toBe(2);
      expect(await runAuditExport(['--from', '2026-02-01', '--to', '2026-01-01'], s.env, io)).toBe(2);
      expect(await runAuditExport(['--from', 'yesterday', '--to', '2026-01-01'], s.env, io)).toBe(2);
      expect(info.join('\n')).toMatch(/--from and --to are required[\s\S]*before[\s\S]*not a date/);
    });
  });

  test('A3: an altered AuditEvent is caught and named (exit 1)', async () => {
    const s = await withTraffic();
    const id = await chainRow(s, 3);
    await s.raw.exec(`${unlock(backend)}
      UPDATE audit_event SET content = replace(content, '"action":"', '"action":"X') WHERE id = '${id}';`);
    const { code, out } = await verify(s);
    expect(code).toBe(1);
    expect(out).toMatch(new RegExp(`altered\\s+seq 3 AuditEvent/${id}`));
  });

  test('A3: a removed AuditEvent is caught and named (exit 1)', async () => {
    const s = await withTraffic();
    const id = await chainRow(s, 4);
    await s.raw.exec(`${unlock(backend)}
      DELETE FROM audit_event WHERE id = '${id}';`);
    const { code, out } = await verify(s);
    expect(code).toBe(1);
    expect(out).toMatch(new RegExp(`removed\\s+seq 4 AuditEvent/${id}`));
  });

  test('A3: a removed chain link is caught and the unlinked AuditEvent named (exit 1)', async () => {
    const s = await withTraffic();
    const id = await chainRow(s, 2);
    await s.raw.exec(`${unlock(backend)}
      DELETE FROM audit_chain WHERE seq = 2;`);
    const { code, out } = await verify(s);
    expect(code).toBe(1);
    expect(out).toMatch(new RegExp(`removed\\s+seq 2 AuditEvent/${id}`));
  });

  test('A3: reordered AuditEvents are caught and named (exit 1)', async () => {
    const s = await withTraffic();
    const [a, b] = [await chainRow(s, 3), await chainRow(s, 4)];
    await s.raw.exec(`${unlock(backend)}
      UPDATE audit_chain SET seq = -3 WHERE seq = 3;
      UPDATE audit_chain SET seq = 3 WHERE seq = 4;
      UPDATE audit_chain SET seq = 4 WHERE seq = -3;`);
    const { code, out } = await verify(s);
    expect(code).toBe(1);
    expect(out).toMatch(/reordered/);
    expect(out).toMatch(new RegExp(`AuditEvent/(${a}|${b})`));
  });

  test('A3: cutting the chain tail verifies as intact on its own, and fails against the head exported earlier (--expect-head)', async () => {
    const s = await withTraffic();
    const headLines: string[] = [];
    expect(await runAuditHead(s.env, (l) => headLines.push(l))).toBe(0);
    const exported = JSON.parse(headLines.join('')) as { seq: number; hash: string };
    expect(exported.hash).toMatch(/^[0-9a-f]{64}$/);
    const lines: string[] = [];
    expect(await runAuditVerify(s.env, (l) => lines.push(l), ['--expect-head', exported.hash])).toBe(0);
    await s.raw.exec(`${unlock(backend)}
      DELETE FROM audit_event WHERE id IN (SELECT resource_id FROM audit_chain WHERE seq >= ${exported.seq - 1});
      DELETE FROM audit_chain WHERE seq >= ${exported.seq - 1};`);
    expect((await verify(s)).code).toBe(0);
    const cut: string[] = [];
    expect(await runAuditVerify(s.env, (l) => cut.push(l), ['--expect-head', exported.hash])).toBe(1);
    expect(cut.join('\n')).toMatch(/Audit chain BROKEN[\s\S]*tail was cut off or rewritten/);
  });

  test('A3: an AuditEvent hidden from searches by blanking its search columns is named (exit 1)', async () => {
    const s = await withTraffic();
    const id = await chainRow(s, 3);
    await s.raw.exec(`${unlock(backend)}
      UPDATE audit_event SET patient = NULL, entity = '' WHERE id = '${id}';`);
    const { code, out } = await verify(s);
    expect(code).toBe(1);
    expect(out).toMatch(new RegExp(`unindexed seq 3 AuditEvent/${id}`));
  });

  test('A3: with AUDIT_HMAC_KEY the chain is keyed: it verifies with the key and not without it', async () => {
    const key = 'test-audit-hmac-key-0123456789';
    const s = await startWithRawAccess(backend, { AUDIT_HMAC_KEY: key });
    started.push(s);
    await traffic(s);
    const lines: string[] = [];
    expect(await runAuditVerify({ ...s.env, AUDIT_HMAC_KEY: key }, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/HMAC chain[\s\S]*Audit chain intact/);
    expect((await verify(s)).code).toBe(1);
  });

  test.runIf(backend === 'sqlite')('A3: `npm run audit:verify` and `npm run audit:export` work as commands: exit 0 on the real chain, 1 after tampering', async () => {
    const s = await withTraffic();
    const run = (script: string, args: string[] = []) =>
      spawnSync('npm', ['run', '-s', script, ...(args.length ? ['--', ...args] : [])], { cwd: ProjectRoot, env: { ...process.env, DATABASE_URL: '', DATA_DIR: s.env.DATA_DIR }, encoding: 'utf8' });
    const ok = run('audit:verify');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Audit chain intact/);
    const exported = run('audit:export', ['--from', '2000-01-01', '--to', '2999-12-31']);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n').map((l) => JSON.parse(l).resourceType)).toContain('AuditEvent');
    expect(exported.stderr).toMatch(/Exported \d+ AuditEvents/);
    const id = await chainRow(s, 5);
    await s.raw.exec(`${unlock(backend)}
      UPDATE audit_event SET content = replace(content, '"outcome":"', '"outcome":"1') WHERE id = '${id}';`);
    const broken = run('audit:verify');
    expect(broken.status).toBe(1);
    expect(broken.stdout).toMatch(new RegExp(`Audit chain BROKEN[\\s\\S]*AuditEvent/${id}`));
  });
});
