// Configuration: every setting validated at start with a message naming the variable; SMART endpoints of the identity provider; README table = what config.ts reads; shared rate limit in Redis.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { ProjectRoot } from '../../src/project-root.js';

const dirs: string[] = [];
const tempDir = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('validation at start', () => {
  const fails = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };

  test('each bad setting is named by its variable, with the value given (secrets excepted)', () => {
    expect(fails({ DEV_ISSUER: '1', PORT: 'eighty' })).toBe('Invalid configuration: PORT must be integer (got "eighty")');
    const many = fails({ DEV_ISSUER: '1', REDIS_URL: 'http://cache:6379', AUTH_ALGORITHMS: 'none', LOG_LEVEL: 'loud' });
    expect(many).toContain('REDIS_URL must match pattern');
    expect(many).not.toContain('cache:6379');
    expect(many).toContain('AUTH_ALGORITHMS must be equal to one of the allowed values (got "none")');
    expect(many).toContain('LOG_LEVEL must be equal to one of the allowed values (got "loud")');
    expect(fails({ DEV_ISSUER: '1', METRICS_TOKEN: 'short-secret' })).toBe('Invalid configuration: METRICS_TOKEN must NOT have fewer than 16 characters');
    expect(fails({ DEV_ISSUER: '1', AUTH_TOKEN_ENDPOINT: 'idp.example/token' })).toContain('AUTH_TOKEN_ENDPOINT must match pattern');
    expect(fails({ AUTH_JWKS_FILE: '/nonexistent/jwks.json' })).toBe('Invalid configuration: AUTH_JWKS_FILE /nonexistent/jwks.json does not exist');
    expect(fails({ AUTH_JWKS_URI: 'https://idp.example/jwks', AUTH_GRANT_TYPES: 'client_credentials' })).toBe('Invalid configuration: AUTH_GRANT_TYPES needs AUTH_TOKEN_ENDPOINT');
    expect(fails({})).toContain('no token keys are configured');
  });

  test("the README's configuration table lists exactly the variables src/config.ts reads", () => {
    const source = readFileSync(join(ProjectRoot, 'src', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]));
    const readme = readFileSync(join(ProjectRoot, 'README.md'), 'utf8');
    const table = readme.split('### Configuration (environment)')[1].split(/\n\n/)[1];
    const documented = new Set(table.split('\n').slice(2).flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1])));
    expect(read.size).toBeGreaterThan(20);
    expect([...documented].sort()).toEqual([...read].sort());
  });
});

describe("the production identity provider's SMART endpoints", () => {
  let gateway: Gateway;
  afterAll(() => gateway?.close());

  test('are published in /.well-known/smart-configuration and the CapabilityStatement', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const keys = tempDir('kanta-cfg-keys-');
    writeFileSync(join(keys, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }));
    gateway = await createGateway({
      config: loadConfig({
        DATA_DIR: tempDir('kanta-cfg-'),
        LOG_LEVEL: 'silent',
        AUTH_ISSUER: 'https://idp.example.test',
        AUTH_JWKS_FILE: join(keys, 'jwks.json'),
        AUTH_AUTHORIZATION_ENDPOINT: 'https://idp.example.test/oauth/authorize',
        AUTH_TOKEN_ENDPOINT: 'https://idp.example.test/oauth/token',
        AUTH_GRANT_TYPES: 'authorization_code,client_credentials',
        AUTH_TOKEN_ENDPOINT_AUTH_METHODS: 'private_key_jwt',
      }),
      log: createLogger('silent'),
    });
    const doc = (await request(gateway.app).get('/.well-known/smart-configuration')).body;
    expect(doc).toMatchObject({
      issuer: 'https://idp.example.test',
      authorization_endpoint: 'https://idp.example.test/oauth/authorize',
      token_endpoint: 'https://idp.example.test/oauth/token',
      grant_types_supported: ['authorization_code', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(doc.capabilities).toEqual(expect.arrayContaining(['launch-standalone', 'client-confidential-asymmetric']));
    const cs = (await request(gateway.app).get('/fhir/metadata')).body;
    const oauth = cs.rest[0].security.extension.find((e: { url: string }) => e.url.endsWith('oauth-uris'));
    expect(oauth.extension).toEqual([
      { url: 'authorize', valueUri: 'https://idp.example.test/oauth/authorize' },
      { url: 'token', valueUri: 'https://idp.example.test/oauth/token' },
    ]);
  });
});

describe('shared rate limit (REDIS_URL)', () => {
  test('an unreachable Redis stops the start, naming host and port but not the password, before any data exists', async () => {
    const probe = createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)));
    await new Promise((r) => probe.close(r));
    const dataDir = join(tempDir('kanta-cfg-redis-'), 'data');
    const start = createGateway({ config: loadConfig({ DATA_DIR: dataDir, DEV_ISSUER: '1', LOG_LEVEL: 'silent', REDIS_URL: `redis://:hunter2secret@127.0.0.1:${port}` }), log: createLogger('silent') });
    await expect(start).rejects.toThrow(`cannot reach Redis for the shared rate limit at 127.0.0.1:${port}`);
    await start.catch((err: Error) => expect(err.message).not.toContain('hunter2secret'));
    expect(() => readFileSync(join(dataDir, 'gateway.db'))).toThrow();
  });

  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) console.info('[skipped] two gateway processes share one rate limit: REDIS_URL is not set (e.g. redis://127.0.0.1:6379)');
  test.skipIf(!redisUrl)(`two gateway processes share one limit${redisUrl ? '' : ' (skipped: REDIS_URL is not set)'}`, async () => {
    const prefix = `kanta-test:${process.pid}:${Math.random().toString(36).slice(2)}:`;
    const env = { DEV_ISSUER: '1', LOG_LEVEL: 'silent', REDIS_URL: redisUrl!, RATE_LIMIT_REDIS_PREFIX: prefix, RATE_LIMIT_PER_MINUTE: '4' };
    const a = await createGateway({ config: loadConfig({ ...env, DATA_DIR: tempDir('kanta-rl-a-') }), log: createLogger('silent') });
    const b = await createGateway({ config: loadConfig({ ...env, DATA_DIR: tempDir('kanta-rl-b-') }), log: createLogger('silent') });
    const redis = createClient({ url: redisUrl });
    await redis.connect();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await request(i % 2 ? b.app : a.app).get('/fhir/metadata')).status);
      // Per process each saw 3 requests, below 4: only a shared counter limits the fifth and sixth.
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      expect((await redis.keys(`${prefix}*`)).length).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(keys);
      await redis.close();
    }
  });
});
