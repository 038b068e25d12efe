// HTTP hardening: security headers, request ids, per-client rate limit, CORS, body limit, and request logs free of personal data.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair } from 'jose';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const ORIGIN = 'https://omakanta-app.example.test';

describe('security headers, request ids, CORS and body limit', () => {
  let gw: TestGateway;
  let auth: string;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { CORS_ORIGINS: `${ORIGIN} https://second.example.test`, BODY_LIMIT: '2kb' });
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  test('every answer carries the security headers and no X-Powered-By', async () => {
    for (const res of [await request(gw.app).get('/fhir/metadata'), await request(gw.app).get('/fhir/Patient'), await request(gw.app).get('/nowhere')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  test('X-Request-Id is echoed (made safe) or generated, on FHIR answers, errors and other routes alike', async () => {
    const echoed = await request(gw.app).get('/fhir/Patient?_count=1').set('Authorization', auth).set('X-Request-Id', 'abc-123.x');
    expect(echoed.headers['x-request-id']).toBe('abc-123.x');
    const cleaned = await request(gw.app).get('/fhir/metadata').set('X-Request-Id', 'ab"c<script>;');
    expect(cleaned.headers['x-request-id']).toBe('abcscript');
    for (const res of [await request(gw.app).get('/fhir/Patient'), await request(gw.app).get('/nowhere'), await request(gw.app).get('/.well-known/smart-configuration')]) {
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  test('CORS: a preflight from a configured origin is allowed with the FHIR headers; other origins get no CORS grant', async () => {
    const pre = await request(gw.app).options('/fhir/Patient').set('Origin', ORIGIN).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type,if-match');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(pre.headers['access-control-allow-headers']).toMatch(/If-Match/);
    const get = await request(gw.app).get('/fhir/metadata').set('Origin', ORIGIN);
    expect(get.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(get.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
    expect(get.headers['access-control-expose-headers']).toMatch(/ETag/);
    const foreign = await request(gw.app).options('/fhir/Patient').set('Origin', 'https://evil.example.test').set('Access-Control-Request-Method', 'GET');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('§4: a body over BODY_LIMIT answers 413 with an OperationOutcome and stores nothing', async () => {
    const big = { resourceType: 'Patient', name: [{ family: 'Iso', given: ['x'.repeat(4000)] }] };
    const res = await request(gw.app).post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(big);
    expect(res.status).toBe(413);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].details.text).toMatch(/exceeds the limit/);
    const found = await request(gw.app).get('/fhir/Patient?family=Iso').set('Authorization', auth);
    expect(found.body.total).toBe(0);
  });
});

describe('CORS off by default', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
  });
  afterAll(async () => gw?.close());

  test('without CORS_ORIGINS no origin is granted', async () => {
    const res = await request(gw.app).get('/fhir/metadata').set('Origin', ORIGIN);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limiting per client', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => gw?.close());

  test('over RATE_LIMIT_PER_MINUTE a client gets 429 with an OperationOutcome and Retry-After', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await request(gw.app).get('/fhir/metadata');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.body.resourceType).toBe('OperationOutcome');
    expect(last!.body.issue[0].code).toBe('throttled');
    expect(last!.body.issue[0].details.text).toMatch(/at most 3 per minute/);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.headers['x-request-id']).toBeTruthy();
  });
});

describe('structured logs without personal data', () => {
  const lines: Array<Record<string, unknown>> = [];
  let raw = '';
  let gateway: Gateway;
  const dirs: string[] = [];

  async function start(env: Record<string, string>): Promise<Gateway> {
    const sink = new Writable({
      write(chunk, _enc, done) {
        raw += String(chunk);
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'kanta-log-'));
    dirs.push(dir);
    return createGateway({ config: loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'info', ...env }), log: pino({ level: 'info' }, sink) });
  }

  beforeAll(async () => {
    gateway = await start({ DEV_ISSUER: '1' });
  });
  afterAll(async () => {
    await gateway?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('S1: an enabled development issuer is announced loudly (warn) in the log', () => {
    const warn = lines.find((l) => String(l.msg).includes('DEVELOPMENT TOKEN ISSUER IS ON'));
    expect(warn?.level).toBe(40);
  });

  test('each request is logged with id, method, path, status and duration, never its query, body, token, names or HETUs', async () => {
    const token = await gateway.devIssuer!.mint({ ...SystemClaims, name: 'Olli Operaattori' });
    const hetu = '131052-308T';
    await request(gateway.app)
      .post('/fhir/Patient')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/fhir+json')
      .set('X-Request-Id', 'log-write-1')
      .send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu }], name: [{ family: 'Lokinen', given: ['Liisa'] }] });
    await request(gateway.app).get(`/fhir/Patient?identifier=urn:oid:1.2.246.21|${hetu}&name=Lokinen`).set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'log-search-1');
    await request(gateway.app).get(`/fhir/Patient/${hetu}`).set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'log-path-1');
    const search = lines.find((l) => l.requestId === 'log-search-1');
    expect(search).toMatchObject({ method: 'GET', path: '/fhir/Patient', status: 200, msg: 'request' });
    expect(typeof search!.ms).toBe('number');
    expect(lines.find((l) => l.requestId === 'log-write-1')).toMatchObject({ method: 'POST', status: 201 });
    expect(lines.find((l) => l.requestId === 'log-path-1')?.path).toBe('/fhir/Patient/******-****');
    for (const secret of [hetu, 'Lokinen', 'Liisa', 'Olli Operaattori', token]) expect(raw).not.toContain(secret);
  });

  test('S1: with the development issuer off (an external key set configured) there is no such warning and no token endpoint', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const keysDir = mkdtempSync(join(tmpdir(), 'kanta-jwks-'));
    dirs.push(keysDir);
    const jwksFile = join(keysDir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }));
    const before = lines.length;
    const quiet = await start({ DEV_ISSUER: '0', AUTH_ISSUER: 'https://idp.example.test', AUTH_JWKS_FILE: jwksFile });
    try {
      expect(quiet.devIssuer).toBeUndefined();
      expect(lines.slice(before).some((l) => String(l.msg).includes('DEVELOPMENT TOKEN ISSUER'))).toBe(false);
      expect((await request(quiet.app).post('/auth/dev/token').send({ sub: 'x', kanta_role: 'system' })).status).toBe(404);
    } finally {
      await quiet.close();
    }
  });
});
