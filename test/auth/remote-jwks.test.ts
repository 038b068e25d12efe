// S1: keys fetched from a remote JWKS URL; an unreachable key server is a 503, never an accept.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OperationOutcomeError } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { createDevIssuer, type DevIssuer } from '../../src/auth/dev-issuer.js';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'http://localhost/fhir';

describe('remote JWKS', () => {
  let server: Server;
  let url: string;
  let issuer: DevIssuer;

  beforeAll(async () => {
    issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    server = createServer((req, res) => {
      if (req.url === '/jwks') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(issuer.jwks));
      } else {
        res.statusCode = 500;
        res.end('down');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('S1: a token signed by a key published at jwks_uri is accepted', async () => {
    const auth = createAuthenticator({ issuers: ISSUER, audience: AUDIENCE, jwksUri: `${url}/jwks` });
    const p = await auth.authenticate(`Bearer ${await issuer.mint({ sub: 's', kanta_role: 'system', client_id: 'c' })}`);
    expect(p).toMatchObject({ kind: 'system', subject: 's', clientId: 'c' });
  });

  it('S1: a failing key server answers 503 service-unavailable, not a token error', async () => {
    const auth = createAuthenticator({ issuers: ISSUER, audience: AUDIENCE, jwksUri: `${url}/broken` });
    const err = await auth.authenticate(`Bearer ${await issuer.mint({ sub: 's', kanta_role: 'system' })}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationOutcomeError);
    expect((err as OperationOutcomeError).outcome).toMatchObject({
      id: 'service-unavailable',
      issue: [{ severity: 'error', code: 'transient', details: { text: 'The token signing key set is unavailable' } }],
    });
  });
});
