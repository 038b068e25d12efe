// S1: bearer token verification and the claim -> Principal mapping.
import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTH_FAILURE_SYSTEM, createAuthenticator, wwwAuthenticate, type Authenticator } from '../../src/auth/authenticate.js';
import { missingContext } from '../../src/auth/claims.js';
import { createDevIssuer, type DevIssuer } from '../../src/auth/dev-issuer.js';

const ISSUER = 'http://127.0.0.1:8080/auth/dev';
const AUDIENCE = 'http://127.0.0.1:8080/fhir';
const nowSec = (): number => Math.floor(Date.now() / 1000);

const citizen = { sub: '150380-902U', kanta_role: 'citizen', patient: 'demo-patient-maija', scope: 'patient/*.rs' };
const doctor = {
  sub: '030368-9064',
  kanta_role: 'professional',
  name: 'Dr. Laura Lääkäri',
  organization: '1.2.246.10.99990001.10.0',
  unit: '1.2.246.10.99990001.10.101',
  sector: 'health',
  purpose_of_use: 'TREAT',
  care_relationship: 'treatment',
  pharmacy: false,
  scope: 'user/*.cruds openid',
  client_id: 'ehr',
};

let issuer: DevIssuer;
let foreign: DevIssuer;
let otherAudience: DevIssuer;
let untrustedIssuer: DevIssuer;
let auth: Authenticator;

beforeAll(async () => {
  issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  foreign = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  otherAudience = await createDevIssuer({ issuer: ISSUER, audience: 'https://other.example/fhir' });
  untrustedIssuer = await createDevIssuer({ issuer: 'https://evil.example', audience: AUDIENCE });
  auth = createAuthenticator({
    issuers: ISSUER,
    audience: AUDIENCE,
    // The untrusted issuer's and other-audience keys are known, so only the iss / aud checks can refuse them.
    jwks: [issuer.jwks, otherAudience.jwks, untrustedIssuer.jwks],
  });
});

async function refusal(header: string | undefined, a: Authenticator = auth): Promise<{ outcome: OperationOutcome; reason?: string; text?: string; err: unknown }> {
  try {
    await a.authenticate(header);
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError);
    const outcome = (err as OperationOutcomeError).outcome;
    const issue = outcome.issue?.find((i) => i.details?.coding?.some((c) => c.system === AUTH_FAILURE_SYSTEM));
    return { outcome, reason: issue?.details?.coding?.[0]?.code, text: issue?.details?.text, err };
  }
  throw new Error('token was accepted');
}

describe('authenticate', () => {
  it('S1: a valid professional token becomes a Principal with every mapped claim', async () => {
    const token = await issuer.mint({ ...doctor, jti: 'tok-1' });
    const p = await auth.authenticate(`Bearer ${token}`);
    expect(p).toEqual({
      kind: 'professional',
      subject: '030368-9064',
      name: 'Dr. Laura Lääkäri',
      organization: '1.2.246.10.99990001.10.0',
      unit: '1.2.246.10.99990001.10.101',
      sector: 'health',
      purposeOfUse: 'TREAT',
      relationship: 'treatment',
      pharmacy: false,
      clientId: 'ehr',
      scopes: ['user/*.cruds', 'openid'],
      tokenId: 'tok-1',
    });
    expect(missingContext(p)).toEqual([]);
  });

  it('S1: a proxy token carries its Suomi.fi mandates, from an array or a space-separated string', async () => {
    const a = await auth.authenticate(`Bearer ${await issuer.mint({ sub: 'x', kanta_role: 'proxy', patient: 'p', mandates: ['health'] })}`);
    const b = await auth.authenticate(`Bearer ${await issuer.mint({ sub: 'x', kanta_role: 'proxy', patient: 'p', mandates: 'health social' })}`);
    expect(a.mandates).toEqual(['health']);
    expect(b.mandates).toEqual(['health', 'social']);
  });

  it('S1: a request without a token is refused as missing, with a challenge that carries no error code', async () => {
    const r = await refusal(undefined);
    expect(r.reason).toBe('missing-token');
    expect(r.outcome.id).toBe('unauthorized');
    expect(r.outcome.issue?.[0]).toMatchObject({ severity: 'error', code: 'login' });
    expect(wwwAuthenticate(r.err)).toBe('Bearer realm="kanta-gateway"');
  });

  it('S1: a non-Bearer Authorization header is refused as malformed', async () => {
    const r = await refusal('Basic dXNlcjpwYXNz');
    expect(r.reason).toBe('malformed');
    expect(r.text).toContain('Bearer');
  });

  it('S1: garbage in place of a JWT is refused as malformed', async () => {
    const r = await refusal('Bearer not-a-jwt');
    expect(r.reason).toBe('malformed');
  });

  it('S1: an expired token is refused as expired', async () => {
    const iat = nowSec() - 3600;
    const r = await refusal(`Bearer ${await issuer.mint({ ...doctor, iat, exp: iat + 600 })}`);
    expect(r.reason).toBe('expired');
    expect(r.text).toBe('Token expired');
    expect(r.outcome.issue?.[1]?.code).toBe('expired');
    expect(wwwAuthenticate(r.err)).toBe('Bearer realm="kanta-gateway", error="invalid_token", error_description="Token expired"');
  });

  it("S1: an unsigned token (alg 'none') is refused as an algorithm not allowed", async () => {
    const unsigned = new UnsecuredJWT({ ...doctor }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('10m').encode();
    const r = await refusal(`Bearer ${unsigned}`);
    expect(r.reason).toBe('alg-not-allowed');
    expect(r.text).toContain('none');
  });

  it('S1: a token whose signature does not verify is refused as a bad signature', async () => {
    const good = (await issuer.mint(doctor)).split('.');
    const other = (await foreign.mint(doctor)).split('.');
    const r = await refusal(`Bearer ${good[0]}.${good[1]}.${other[2]}`);
    expect(r.reason).toBe('bad-signature');
    expect(r.outcome.issue?.[1]?.code).toBe('security');
  });

  it('S1: a token signed by a key outside the configured key set is refused', async () => {
    const r = await refusal(`Bearer ${await foreign.mint(doctor)}`);
    expect(r.reason).toBe('unknown-key');
  });

  it('S1: a token for another audience is refused as wrong audience', async () => {
    const r = await refusal(`Bearer ${await otherAudience.mint(doctor)}`);
    expect(r.reason).toBe('wrong-audience');
    expect(r.text).toBe('Token not issued for this audience');
  });

  it('S1: a token from an untrusted issuer is refused as wrong issuer', async () => {
    const r = await refusal(`Bearer ${await untrustedIssuer.mint(doctor)}`);
    expect(r.reason).toBe('wrong-issuer');
  });

  it('S1: a token whose nbf lies in the future is refused as not yet valid', async () => {
    const r = await refusal(`Bearer ${await issuer.mint({ ...doctor, nbf: nowSec() + 600 })}`);
    expect(r.reason).toBe('not-yet-valid');
  });

  it('S1: an HS256 token is refused when no shared secret is configured', async () => {
    const hs = await new SignJWT({ ...doctor })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('a-secret-that-is-long-enough-for-hs256!'));
    const r = await refusal(`Bearer ${hs}`);
    expect(r.reason).toBe('alg-not-allowed');
  });

  it('S1: an HS256 token is accepted when the shared secret is configured', async () => {
    const secret = 'a-secret-that-is-long-enough-for-hs256!';
    const hsAuth = createAuthenticator({ issuers: ISSUER, audience: AUDIENCE, hmacSecret: secret });
    const hs = await new SignJWT({ ...doctor })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(secret));
    expect((await hsAuth.authenticate(`Bearer ${hs}`)).kind).toBe('professional');
    expect(hsAuth.algorithms).toContain('HS256');
    expect(auth.algorithms).not.toContain('HS256');
  });

  it("S1: 'none' is dropped from a configured algorithm list", () => {
    const a = createAuthenticator({ issuers: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, algorithms: ['none', 'ES256', 'HS256'] });
    expect(a.algorithms).toEqual(['ES256']);
  });

  it('S1: an ES256 token is refused when the allow-list names only RS256', async () => {
    const rsOnly = createAuthenticator({ issuers: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, algorithms: ['RS256'] });
    const r = await refusal(`Bearer ${await issuer.mint(doctor)}`, rsOnly);
    expect(r.reason).toBe('alg-not-allowed');
  });

  it('S1: a citizen token living 40 minutes is refused as lifetime too long', async () => {
    const r = await refusal(`Bearer ${await issuer.mint(citizen, 40 * 60)}`);
    expect(r.reason).toBe('lifetime-too-long');
    expect(r.text).toBe('Token lifetime 40 min exceeds 32 min allowed for citizen tokens');
  });

  it('S1: guardian and proxy tokens longer than 32 minutes are refused too, also without iat', async () => {
    const guardian = await issuer.mint({ sub: 'g', kanta_role: 'guardian', patient: 'c' }, 33 * 60);
    expect((await refusal(`Bearer ${guardian}`)).reason).toBe('lifetime-too-long');
    const secret = 'k'.repeat(40);
    const hsAuth = createAuthenticator({ issuers: ISSUER, audience: AUDIENCE, hmacSecret: secret });
    const tokenWithoutIat = await new SignJWT({ sub: 'p', kanta_role: 'proxy', patient: 'x', mandates: ['health'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(nowSec() + 40 * 60)
      .sign(new TextEncoder().encode(secret));
    expect((await refusal(`Bearer ${tokenWithoutIat}`, hsAuth)).reason).toBe('lifetime-too-long');
  });

  it('S1: a citizen token of exactly 30 minutes and a professional token of 60 minutes are accepted', async () => {
    expect((await auth.authenticate(`Bearer ${await issuer.mint(citizen)}`)).kind).toBe('citizen');
    expect((await auth.authenticate(`Bearer ${await issuer.mint(doctor, 60 * 60)}`)).kind).toBe('professional');
  });

  it('S1: a token without exp is refused', async () => {
    const noExp = await new SignJWT({ ...doctor }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(new TextEncoder().encode('s'.repeat(40)));
    const hsAuth = createAuthenticator({ issuers: ISSUER, audience: AUDIENCE, hmacSecret: 's'.repeat(40) });
    const r = await refusal(`Bearer ${noExp}`, hsAuth);
    expect(r.reason).toBe('invalid-claims');
    expect(r.text).toContain('exp');
  });

  it('S1: a token without a known kanta_role is refused with the accepted values named', async () => {
    const r = await refusal(`Bearer ${await issuer.mint({ sub: 'x', kanta_role: 'admin' })}`);
    expect(r.reason).toBe('invalid-claims');
    expect(r.text).toBe('Token claim kanta_role must be one of professional, citizen, guardian, proxy, app, system');
  });

  it('the WWW-Authenticate helper escapes quotes and supports insufficient_scope', () => {
    expect(wwwAuthenticate(undefined, { insufficientScope: 'needs "patient/Observation.r"' })).toBe(
      'Bearer realm="kanta-gateway", error="insufficient_scope", error_description="needs \\"patient/Observation.r\\""',
    );
  });

  it('missingContext names the context claims a professional did not assert (D9)', () => {
    expect(missingContext({ kind: 'professional', subject: 'x', scopes: [], organization: 'o' })).toEqual(['sector', 'purpose_of_use', 'care_relationship']);
    expect(missingContext({ kind: 'professional', subject: 'x', scopes: [], organization: 'o', sector: 'social', purposeOfUse: 'PUBHLTH', legalBasis: 'L' })).toEqual([]);
    expect(missingContext({ kind: 'proxy', subject: 'x', scopes: [], patient: 'p' })).toEqual(['mandates']);
  });
});
