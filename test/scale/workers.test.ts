// WORKERS=2: two node:cluster workers share the port and the store, both answer, one audit chain verifies, SIGTERM stops all (issue 12 "Both cores").
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, test } from 'vitest';
import { openConfigured, runAuditVerify, type VerifyEnv } from '../../src/cli/audit-verify.js';
import { loadConfig } from '../../src/config.js';
import { backends, type Backend } from '../support/backends.js';
import { freePort, freshSchema, killAll, requestIdsOf, spawnGateway, waitReady } from './gateway-processes.js';

const Issuer = 'https://idp.workers.test';
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  await killAll();
  for (const c of cleanups) await c();
});

describe('WORKERS configuration', () => {
  const fails = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  test('is a whole number from 1 to 64, named when it is not', () => {
    expect(fails({ WORKERS: 'two', AUTH_JWKS_URI: 'https://idp.example/jwks' })).toMatch(/WORKERS must be integer \(got "two"\)/);
    expect(fails({ WORKERS: '0', AUTH_JWKS_URI: 'https://idp.example/jwks' })).toMatch(/WORKERS must be >= 1/);
    expect(loadConfig({ AUTH_JWKS_URI: 'https://idp.example/jwks' }).workers).toBe(1);
  });
  test('above 1 is refused with the development issuer, whose key lives in one process', () => {
    expect(fails({ WORKERS: '2', DEV_ISSUER: '1' })).toMatch(/WORKERS above 1 needs AUTH_JWKS_FILE or AUTH_JWKS_URI/);
  });
});

describe('WORKERS=2 start failure', () => {
  test('a port already in use stops the whole start with exit 1 and the reason, before any data exists', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
    const dir = mkdtempSync(join(tmpdir(), 'kanta-workers-taken-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    try {
      const gw = spawnGateway({ PORT: String(port), WORKERS: '2', AUTH_JWKS_URI: 'https://idp.workers.test/jwks', DATA_DIR: join(dir, 'data') });
      expect(await gw.exited).toEqual({ code: 1, signal: null });
      expect(gw.output()).toContain(`127.0.0.1:${port} is already in use`);
      expect(existsSync(join(dir, 'data'))).toBe(false);
    } finally {
      blocker.close();
    }
  }, 60_000);
});

describe.each(backends())('WORKERS=2 (%s)', (backend: Backend) => {
  test('both workers answer requests, every answered request is audited in one chain that verifies, and SIGTERM stops them all with exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanta-workers-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const env: VerifyEnv = {};
    if (backend === 'postgres') {
      const schema = await freshSchema(process.env.DATABASE_URL!);
      cleanups.push(() => schema.drop());
      env.DATABASE_URL = schema.url;
    } else {
      env.DATA_DIR = join(dir, 'data');
    }
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'w1', alg: 'ES256', use: 'sig' }] }));
    const token = await new SignJWT({ sub: 'workers-test', kanta_role: 'system', scope: 'system/*.cruds', client_id: 'workers-test' })
      .setProtectedHeader({ alg: 'ES256', kid: 'w1' })
      .setIssuer(Issuer)
      .setAudience('kanta-gateway')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);

    const gw = spawnGateway({
      PORT: String(await freePort()),
      WORKERS: '2',
      AUTH_JWKS_FILE: jwksFile,
      AUTH_ISSUER: Issuer,
      LOG_LEVEL: 'info',
      ...(env as Record<string, string>),
    });
    await waitReady(gw);
    for (let i = 0; i < 240 && !gw.output().includes('all 2 workers serving'); i++) await new Promise((r) => setTimeout(r, 250));
    expect(gw.output()).toContain('all 2 workers serving');

    const answered: string[] = [];
    let n = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (n < 80) {
          const id = `w-${++n}`;
          const create = n % 2 === 0;
          const res = await fetch(`${gw.base}/fhir/${create ? 'Patient' : 'Patient?_count=1'}`, {
            method: create ? 'POST' : 'GET',
            headers: { authorization: `Bearer ${token}`, 'x-request-id': id, 'content-type': 'application/fhir+json' },
            body: create ? JSON.stringify({ resourceType: 'Patient', name: [{ family: `Worker${n}` }] }) : undefined,
          });
          await res.text();
          expect(res.status, id).toBe(create ? 201 : 200);
          answered.push(id);
        }
      }),
    );

    // Each worker logs the requests it answered with its own pid; the primary answers none.
    const servedBy = new Set<number>();
    for (const line of gw.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; pid?: number; requestId?: string };
      if (entry.msg === 'request' && entry.requestId?.startsWith('w-')) servedBy.add(entry.pid!);
    }
    expect(servedBy.size).toBe(2);
    expect(servedBy.has(gw.child.pid!)).toBe(false);

    gw.child.kill('SIGTERM');
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    expect(gw.output().match(/"msg":"stopped"/g)).toHaveLength(2);

    const { db } = openConfigured(env);
    try {
      const audited = new Set<string>();
      for (const r of await db.query<{ content: string }>('SELECT content FROM audit_event')) for (const id of requestIdsOf(JSON.parse(r.content))) audited.add(id);
      expect(answered.filter((id) => !audited.has(id))).toEqual([]);
    } finally {
      await db.close();
    }
    const lines: string[] = [];
    expect(await runAuditVerify(env, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/Audit chain intact/);
  }, 150_000);
});
