// S1 / SPEC §4 over HTTP: every bad token kind is refused 401 with WWW-Authenticate and a coded OperationOutcome, audited as a failed login; F4 smart-configuration.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AUTH_FAILURE_SYSTEM } from '../../src/auth/authenticate.js';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'kanta-gateway';
const CITIZEN_HETU = '150380-902U';
const now = () => Math.floor(Date.now() / 1000);

interface Key {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function key(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

function sign(k: Key, claims: Record<string, unknown>, opts: { iss?: string; aud?: string; kid?: string } = {}): Promise<string> {
  return new SignJWT({ iat: now(), exp: now() + 600, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? k.jwk.kid })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .sign(k.privateKey);
}

const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe.each(backends())('tokens over HTTP with an external issuer (%s)', (backend) => {
  let gw: TestGateway;
  let dir: string;
  let trusted: Key;
  let operator: string;

  beforeAll(async () => {
    trusted = await key('trusted-1');
    dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [trusted.jwk] }));
    gw = await startTestGateway(backend, { DEV_ISSUER: '0', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_JWKS_FILE: jwksFile });
    operator = `Bearer ${await sign(trusted, SystemClaims)}`;
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('S1: a token from the configured issuer, audience and key is accepted', async () => {
    const res = await request(gw.app).get('/fhir/Patient?_count=1').set('Authorization', operator);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('Bundle');
  });

  test('S1: no token answers 401 with a bare Bearer challenge and a login OperationOutcome', async () => {
    const res = await request(gw.app).get('/fhir/Patient');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="kanta-gateway"');
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.some((i: { code: string }) => i.code === 'login')).toBe(true);
  });

  const badTokens: Array<[string, string, () => Promise<string>]> = [
    ['expired', 'expired', async () => sign(trusted, { ...SystemClaims, iat: now() - 7200, exp: now() - 3600 })],
    ['not yet valid', 'not-yet-valid', async () => sign(trusted, { ...SystemClaims, nbf: now() + 3600 })],
    ['unsigned (alg none)', 'alg-not-allowed', async () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...SystemClaims, iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.`],
    ['wrongly signed (a forged signature under the trusted key id)', 'bad-signature', async () => sign(await key('forger'), SystemClaims, { kid: 'trusted-1' })],
    ['signed by an unknown key', 'unknown-key', async () => sign(await key('stranger'), SystemClaims)],
    ['for another audience', 'wrong-audience', async () => sign(trusted, SystemClaims, { aud: 'some-other-api' })],
    ['from another issuer', 'wrong-issuer', async () => sign(trusted, SystemClaims, { iss: 'https://evil.example.test' })],
    [
      'HMAC-signed with a guessed secret',
      'alg-not-allowed',
      async () =>
        new SignJWT({ ...SystemClaims, exp: now() + 600 }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(new TextEncoder().encode('secret-secret-secret-secret-1234')),
    ],
    ['a citizen token living longer than 32 minutes', 'lifetime-too-long', async () => sign(trusted, { sub: CITIZEN_HETU, kanta_role: 'citizen', patient: 'p', scope: 'patient/*.rs', exp: now() + 3600 })],
    [
      'a citizen token issued 1 h in the future with exp = iat + 30 min',
      'issued-in-future',
      async () => sign(trusted, { sub: CITIZEN_HETU, kanta_role: 'citizen', patient: 'p', scope: 'patient/*.rs', iat: now() + 3600, exp: now() + 3600 + 1800 }),
    ],
    [
      'a citizen token issued 10 h in the future with exp = iat + 30 min',
      'issued-in-future',
      async () => sign(trusted, { sub: CITIZEN_HETU, kanta_role: 'citizen', patient: 'p', scope: 'patient/*.rs', iat: now() + 36000, exp: now() + 36000 + 1800 }),
    ],
    ['a system token issued 10 min in the future', 'issued-in-future', async () => sign(trusted, { ...SystemClaims, iat: now() + 600, exp: now() + 1200 })],
    [
      'a citizen token whose iat is within the clock skew but whose exp lies 33 min from now',
      'lifetime-too-long',
      async () => sign(trusted, { sub: CITIZEN_HETU, kanta_role: 'citizen', patient: 'p', scope: 'patient/*.rs', iat: now() + 50, exp: now() + 33 * 60 }),
    ],
    ['without a kanta_role', 'invalid-claims', async () => sign(trusted, { sub: CITIZEN_HETU, scope: 'patient/*.rs' })],
    ['not a JWT at all', 'malformed', async () => 'not.a.jwt'],
  ];

  test.each(badTokens)('S1/§4: a token %s is refused 401 (%s) with an invalid_token challenge, and the failed login is audited without personal data', async (_what, reason, make) => {
    const rid = `auth-${randomUUID()}`;
    const res = await request(gw.app).get('/fhir/Patient').set('Authorization', `Bearer ${await make()}`).set('X-Request-Id', rid);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="kanta-gateway", error="invalid_token", error_description="[^"]+"$/);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const coded = res.body.issue.find((i: { details?: { coding?: Array<{ system: string }> } }) => i.details?.coding?.[0]?.system === AUTH_FAILURE_SYSTEM);
    expect(coded.details.coding[0].code).toBe(reason);
    expect(coded.details.text).toBeTruthy();

    const audit = await request(gw.app).get(`/fhir/AuditEvent?entity:identifier=${rid}`).set('Authorization', operator);
    const events = ((audit.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
    expect(events).toHaveLength(1);
    const [ev] = events;
    expect(ev.type).toEqual({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' });
    expect(ev.subtype?.[0].code).toBe('110122');
    expect(ev.outcome).toBe('4');
    expect(ev.outcomeDesc).toBe(coded.details.text);
    expect(ev.entity?.find((e) => e.type?.code === 'authentication-failure')?.detail?.[0].valueString).toBe(reason);
    expect(JSON.stringify(ev)).not.toContain(CITIZEN_HETU);
    expect(ev.agent.find((a) => a.requestor)?.network?.address).toBeTruthy();
  });

  test('S1: a future iat is refused naming the claim; one within the 60 s clock skew is accepted', async () => {
    const future = await request(gw.app)
      .get('/fhir/Patient')
      .set('Authorization', `Bearer ${await sign(trusted, { ...SystemClaims, iat: now() + 3600, exp: now() + 3600 + 1800 })}`);
    expect(future.status).toBe(401);
    expect(future.body.issue[1].details.text).toMatch(/^Token claim iat lies 60 min in the future/);
    const skewed = await request(gw.app)
      .get('/fhir/Patient?_count=1')
      .set('Authorization', `Bearer ${await sign(trusted, { ...SystemClaims, iat: now() + 30, exp: now() + 30 + 1800 })}`);
    expect(skewed.status).toBe(200);
  });

  test('S1: a valid token whose scopes do not cover the request answers 403 with an OperationOutcome', async () => {
    const token = await sign(trusted, { ...SystemClaims, scope: 'system/Organization.rs' });
    const res = await request(gw.app).get('/fhir/Patient').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('forbidden');
    expect(res.body.issue[0].details.text).toMatch(/scopes do not allow search-type on Patient/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="kanta-gateway", error="insufficient_scope", error_description="The token's scopes do not allow search-type on Patient"/);
  });

  test('F4: smart-configuration describes the external issuer and no token endpoint; the development issuer is off', async () => {
    for (const path of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
      const res = await request(gw.app).get(path);
      expect(res.status).toBe(200);
      expect(res.body.issuer).toBe(ISSUER);
      expect(res.body).not.toHaveProperty('token_endpoint');
      expect(res.body).not.toHaveProperty('authorization_endpoint');
      expect(res.body.grant_types_supported).toEqual([]);
      expect(res.body.capabilities).toEqual(expect.arrayContaining(['permission-v2', 'permission-patient', 'permission-user']));
    }
    const mint = await request(gw.app).post('/auth/dev/token').set('Content-Type', 'application/json').send(SystemClaims);
    expect(mint.status).toBe(404);
    expect(mint.body.resourceType).toBe('OperationOutcome');
    expect((await request(gw.app).get('/auth/dev/jwks.json')).status).toBe(404);
  });
});

describe.each(backends())('the development issuer when enabled (%s)', (backend) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(backend);
  });
  afterAll(async () => gw?.close());

  test('F4/S1: smart-configuration names the real token endpoint and key set, and the README flow works: mint a token, make a first request', async () => {
    const conf = await request(gw.app).get('/.well-known/smart-configuration');
    expect(conf.status).toBe(200);
    const tokenUrl = new URL(conf.body.token_endpoint as string);
    expect(tokenUrl.pathname).toBe('/auth/dev/token');
    const jwks = await request(gw.app).get(new URL(conf.body.jwks_uri as string).pathname);
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256' });
    expect(jwks.body.keys[0]).not.toHaveProperty('d');

    const minted = await request(gw.app).post(tokenUrl.pathname).set('Content-Type', 'application/json').send({ sub: 'readme-operator', kanta_role: 'system', client_id: 'readme', scope: 'system/*.rs' });
    expect(minted.status).toBe(200);
    expect(minted.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), expires_in: expect.any(Number) });
    const first = await request(gw.app).get('/fhir/Patient?_count=1').set('Authorization', `Bearer ${minted.body.access_token}`);
    expect(first.status).toBe(200);
    expect(first.body.resourceType).toBe('Bundle');
  });

  test('the development token endpoint answers a body that is not a claims object with 400 OperationOutcome', async () => {
    const res = await request(gw.app).post('/auth/dev/token').set('Content-Type', 'application/json').send('[1,2]');
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
