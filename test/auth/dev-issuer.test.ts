// S1, F4: the development issuer and the SMART configuration document.
import { OperationOutcomeError } from '@medplum/core';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { createDevIssuer } from '../../src/auth/dev-issuer.js';
import { buildSmartConfiguration, DEV_TOKEN_PATH } from '../../src/auth/smart-configuration.js';

const ISSUER = 'http://localhost:8080/auth/dev';
const AUDIENCE = 'http://localhost:8080/fhir';

describe('development issuer', () => {
  it('S1: every demo persona mints a token the authenticator accepts', async () => {
    const dev = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const auth = createAuthenticator({ issuers: ISSUER, audience: AUDIENCE, jwks: dev.jwks });
    expect(dev.personas.length).toBeGreaterThanOrEqual(10);
    for (const persona of dev.personas) {
      const principal = await auth.authenticate(`Bearer ${await dev.mintPersona(persona.id)}`);
      expect(principal.kind).toBe(persona.claims.kanta_role);
      expect(principal.subject).toBe(persona.claims.sub);
    }
  });

  it('S1: person tokens default to 30 minutes and others to 60, signed ES256 with the published kid', async () => {
    const dev = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const citizen = decodeJwt(await dev.mint({ sub: 'a', kanta_role: 'citizen' }));
    const app = decodeJwt(await dev.mint({ sub: 'b', kanta_role: 'app' }));
    expect((citizen.exp ?? 0) - (citizen.iat ?? 0)).toBe(30 * 60);
    expect((app.exp ?? 0) - (app.iat ?? 0)).toBe(60 * 60);
    expect(citizen.jti).toMatch(/^[0-9a-f-]{36}$/);
    const header = decodeProtectedHeader(await dev.mint({ sub: 'a', kanta_role: 'citizen' }));
    expect(header).toMatchObject({ alg: 'ES256', kid: dev.jwks.keys[0].kid });
    expect(dev.jwks.keys[0]).not.toHaveProperty('d');
  });

  it('a caller cannot choose the issuer or audience of a dev token', async () => {
    const dev = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const claims = decodeJwt(await dev.mint({ sub: 'a', kanta_role: 'app', iss: 'https://evil', aud: 'x' }));
    expect(claims.iss).toBe(ISSUER);
    expect(claims.aud).toBe(AUDIENCE);
  });

  it('answers the token endpoint body with access_token, token_type and expires_in', async () => {
    const dev = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const body = await dev.tokenResponse({ sub: 'a', kanta_role: 'citizen', scope: 'patient/*.rs' });
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 1800, scope: 'patient/*.rs' });
    expect(typeof body.access_token).toBe('string');
  });

  it('an unknown persona is a 400 naming the known ones', async () => {
    const dev = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const err = await dev.mintPersona('nobody').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationOutcomeError);
    expect((err as OperationOutcomeError).outcome.issue?.[0]?.details?.text).toContain("Unknown persona 'nobody'; known: citizen,");
  });
});

describe('SMART configuration', () => {
  it('F4: with the dev issuer it names the issuer, keys and token endpoint, and no authorize endpoint or PKCE', () => {
    const doc = buildSmartConfiguration({
      issuer: ISSUER,
      jwksUri: 'http://localhost:8080/auth/dev/jwks.json',
      tokenEndpoint: `http://localhost:8080${DEV_TOKEN_PATH}`,
      grantTypesSupported: ['client_credentials'],
    });
    expect(doc).toMatchObject({
      issuer: ISSUER,
      jwks_uri: 'http://localhost:8080/auth/dev/jwks.json',
      token_endpoint: 'http://localhost:8080/auth/dev/token',
      grant_types_supported: ['client_credentials'],
      capabilities: ['permission-v1', 'permission-v2', 'permission-patient', 'permission-user'],
    });
    expect(doc).not.toHaveProperty('authorization_endpoint');
    expect(doc).not.toHaveProperty('code_challenge_methods_supported');
  });

  it('F4: without a token endpoint it claims no token endpoint and no grant types', () => {
    const doc = buildSmartConfiguration({ issuer: 'https://idp.example', jwksUri: 'https://idp.example/jwks' });
    expect(doc).not.toHaveProperty('token_endpoint');
    expect(doc.grant_types_supported).toEqual([]);
    expect(doc.capabilities).not.toContain('client-confidential-asymmetric');
  });

  it('F4: asymmetric client authentication and PKCE appear only when configured', () => {
    const doc = buildSmartConfiguration({
      issuer: 'https://idp.example',
      authorizationEndpoint: 'https://idp.example/authorize',
      tokenEndpoint: 'https://idp.example/token',
      grantTypesSupported: ['authorization_code'],
      clientConfidentialAsymmetric: true,
    });
    expect(doc.capabilities).toContain('client-confidential-asymmetric');
    expect(doc.capabilities).toContain('launch-standalone');
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
  });
});
