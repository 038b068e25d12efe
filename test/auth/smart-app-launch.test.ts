// SMART App Launch against the development authorization server: standalone launch with PKCE, launch/patient, refresh within S1, persona minting.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import * as oauth from 'oauth4webapi';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { standaloneLaunch } from '../support/smart-launch.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

describe.each(backends())('SMART App Launch (%s)', (backend) => {
  let gw: TestGateway;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    gw = await startTestGateway(backend, { DEMO_DATA: '1' });
    server = gw.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await gw?.close();
  });

  test('F4: smart-configuration announces the running authorization server, PKCE S256 and the standalone-launch capabilities', async () => {
    const res = await request(gw.app).get('/.well-known/smart-configuration');
    expect(res.status).toBe(200);
    expect(new URL(res.body.authorization_endpoint).pathname).toBe('/auth/dev/authorize');
    expect(new URL(res.body.token_endpoint).pathname).toBe('/auth/dev/token');
    expect(res.body.code_challenge_methods_supported).toEqual(['S256']);
    expect(res.body.grant_types_supported).toEqual(['authorization_code', 'refresh_token']);
    expect(res.body.capabilities).toEqual(
      expect.arrayContaining(['launch-standalone', 'client-public', 'context-standalone-patient', 'permission-v2']),
    );
    expect(res.body.scopes_supported).toEqual(expect.arrayContaining(['launch/patient', 'openid', 'fhirUser', 'patient/*.rs']));
  });

  test('S1: a public client completes a standalone launch with PKCE; the token names the patient and the gateway accepts it', async () => {
    const { tokens } = await standaloneLaunch(origin, 'citizen', 'openid fhirUser launch/patient online_access patient/*.rs');
    expect(tokens.patient).toBe('demo-patient-maija');
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    // The token response's scope is all that was granted, launch and refresh scopes included (SMART clients read it).
    expect(tokens.scope?.split(' ').sort()).toEqual(['fhirUser', 'launch/patient', 'online_access', 'openid', 'patient/*.rs']);
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ sub: '150380-902U', kanta_role: 'citizen', patient: 'demo-patient-maija', client_id: 'kanta-web-app', aud: 'kanta-gateway' });
    // S1: a person's access token lives at most 32 minutes.
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(32 * 60);
    const read = await fetch(`${origin}/fhir/Patient/${tokens.patient}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { id: string }).id).toBe('demo-patient-maija');
  });

  test('S1: the refresh token gives a new person token that again lives at most 32 minutes', async () => {
    const { tokens, authorizationServer, client } = await standaloneLaunch(origin, 'guardian-child-9', 'launch/patient online_access patient/*.rs');
    expect(tokens.patient).toBe('demo-patient-aino');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const res = await oauth.refreshTokenGrantRequest(authorizationServer, client, oauth.None(), tokens.refresh_token!, { [oauth.allowInsecureRequests]: true });
    const refreshed = await oauth.processRefreshTokenResponse(authorizationServer, client, res);
    expect(refreshed.scope?.split(' ').sort()).toEqual(['launch/patient', 'online_access', 'patient/*.rs']);
    const claims = decodeJwt(refreshed.access_token);
    expect(claims).toMatchObject({ kanta_role: 'guardian', patient: 'demo-patient-aino' });
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(32 * 60);
  });

  test('an authorization request naming another FHIR server as aud is refused before any login', async () => {
    const res = await request(gw.app)
      .get('/auth/dev/authorize')
      .query({ response_type: 'code', client_id: 'kanta-web-app', redirect_uri: `${origin}/app/`, scope: 'launch/patient patient/*.rs', state: 'x', aud: 'https://elsewhere.example/fhir', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' });
    expect(res.status).toBe(400);
    expect(res.text).toContain("aud 'https://elsewhere.example/fhir' is not this FHIR server");
  });

  test('a code without its PKCE verifier is refused by the token endpoint', async () => {
    const res = await request(gw.app)
      .post('/auth/dev/token')
      .type('form')
      .send({ grant_type: 'authorization_code', code: 'forged', client_id: 'kanta-web-app', redirect_uri: `${origin}/app/` });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  test('POST /auth/dev/token mints by persona id, GET /auth/dev/personas lists them, an unknown persona is a 400 OperationOutcome', async () => {
    const list = await request(gw.app).get('/auth/dev/personas');
    expect(list.status).toBe(200);
    expect(list.body.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(['citizen', 'doctor-uusimaa', 'guardian-child-9']));
    const minted = await request(gw.app).post('/auth/dev/token').send({ persona: 'doctor-uusimaa' });
    expect(minted.status).toBe(200);
    expect(decodeJwt(minted.body.access_token)).toMatchObject({ kanta_role: 'professional', organization: '1.2.246.10.99990001.10.0' });
    const bad = await request(gw.app).post('/auth/dev/token').send({ persona: 'nobody' });
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
    expect(bad.body.issue[0].details.text).toContain("Unknown persona 'nobody'");
  });
});
