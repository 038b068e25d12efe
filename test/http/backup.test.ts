// `npm run backup`: an online SQLite backup taken while the gateway writes, restored into a fresh directory, accepted by audit:verify and served again.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, test } from 'vitest';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { runBackup } from '../../src/cli/backup.js';
import { loadConfig } from '../../src/config.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { SystemClaims } from '../support/test-gateway.js';

const base = mkdtempSync(join(tmpdir(), 'kanta-backup-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const env = { LOG_LEVEL: 'silent', DEV_ISSUER: '1', AUDIT_HMAC_KEY: 'backup-test-hmac-key-0123' };

describe('backup (SQLite)', () => {
  test('a backup taken during writes restores to a store whose audit chain verifies and whose data is served', async () => {
    const live = join(base, 'live');
    const gateway = await createGateway({ config: loadConfig({ ...env, DATA_DIR: live }), log: createLogger('silent') });
    const auth = `Bearer ${await gateway.devIssuer!.mint(SystemClaims)}`;
    const write = (n: number) =>
      request(gateway.app).post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', birthDate: `1970-01-${String(n).padStart(2, '0')}` });
    const first = await write(1);
    expect(first.status).toBe(201);
    const file = join(base, 'gateway-backup.db');
    const lines: string[] = [];
    // Writers keep going while the copy is taken: the copy is one committed state, whichever it is.
    const [code, ...during] = await Promise.all([runBackup({ DATA_DIR: live }, [file], (l) => lines.push(l)), write(2), write(3), write(4)]);
    expect(code).toBe(0);
    expect(during.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(lines[0]).toMatch(/^Backed up .*gateway\.db to .*gateway-backup\.db \(\d+ pages\)/);
    await gateway.close();

    const restored = join(base, 'restored');
    mkdirSync(restored);
    copyFileSync(file, join(restored, 'gateway.db'));
    const verified: string[] = [];
    expect(await runAuditVerify({ DATA_DIR: restored, AUDIT_HMAC_KEY: env.AUDIT_HMAC_KEY }, (l) => verified.push(l))).toBe(0);
    expect(verified.join('\n')).toMatch(/Audit chain intact: [1-9]\d* AuditEvents checked/);

    const again = await createGateway({ config: loadConfig({ ...env, DATA_DIR: restored }), log: createLogger('silent') });
    try {
      const token = `Bearer ${await again.devIssuer!.mint(SystemClaims)}`;
      const read = await request(again.app).get(`/fhir/Patient/${first.body.id}`).set('Authorization', token);
      expect(read.status).toBe(200);
      expect(read.body.birthDate).toBe('1970-01-01');
    } finally {
      await again.close();
    }
    const after: string[] = [];
    expect(await runAuditVerify({ DATA_DIR: restored, AUDIT_HMAC_KEY: env.AUDIT_HMAC_KEY }, (l) => after.push(l))).toBe(0);
  });

  test('refuses to overwrite, to back up a missing store, and PostgreSQL (pg_dump is the tool there)', async () => {
    const out: string[] = [];
    const existing = join(base, 'exists.db');
    copyFileSync(join(base, 'gateway-backup.db'), existing);
    expect(await runBackup({ DATA_DIR: join(base, 'restored') }, [existing], (l) => out.push(l))).toBe(2);
    expect(out.pop()).toContain('never overwrites');
    expect(await runBackup({ DATA_DIR: join(base, 'nothing-here') }, [join(base, 'x.db')], (l) => out.push(l))).toBe(2);
    expect(out.pop()).toContain('no database at');
    expect(existsSync(join(base, 'nothing-here'))).toBe(false);
    expect(await runBackup({ DATABASE_URL: 'postgres://h/db' }, [join(base, 'y.db')], (l) => out.push(l))).toBe(2);
    expect(out.pop()).toContain('pg_dump');
    expect(await runBackup({}, [], (l) => out.push(l))).toBe(2);
    expect(out.pop()).toMatch(/^usage:/);
  });
});
