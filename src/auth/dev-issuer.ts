// Development token issuer: an in-process ES256 key and token minting for demo personas, off unless enabled (S1). https://datatracker.ietf.org/doc/html/rfc7519
import { randomUUID } from 'node:crypto';
import { OperationOutcomeError, badRequest } from '@medplum/core';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { PersonRoles } from './claims.js';
import { devPersonas, type DevPersona } from './dev-personas.js';

const ALG = 'ES256';
const PERSON_LIFETIME_SECONDS = 30 * 60;
const OTHER_LIFETIME_SECONDS = 60 * 60;
/** Claims the issuer sets itself; a caller cannot choose them. */
const RESERVED = ['iss', 'aud'];

export interface DevTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The public key set to add to the authenticator's `jwks` and to serve as jwks_uri. */
  readonly jwks: JSONWebKeySet;
  /** The private signing key (with kid), for the development authorization server, which signs with the same key. */
  readonly signingJwk: JWK;
  /**
   * Signs `claims` (iat, exp and jti default to now, now + lifetime, a fresh UUID; given numeric iat/exp/nbf are kept,
   * which lets tests mint expired or not-yet-valid tokens). Default lifetime: 30 min for person roles, 60 min otherwise.
   */
  mint(claims: Record<string, unknown>, lifetimeSeconds?: number): Promise<string>;
  /** The OAuth token response body for `POST /auth/dev/token`. */
  tokenResponse(claims: Record<string, unknown>, lifetimeSeconds?: number): Promise<DevTokenResponse>;
  readonly personas: readonly DevPersona[];
  /** The claims of a persona by id; unknown ids are a 400. */
  personaClaims(id: string): Promise<Record<string, unknown>>;
  /** Mints a token for a persona by id; unknown ids are a 400. */
  mintPersona(id: string, lifetimeSeconds?: number): Promise<string>;
}

function defaultLifetime(claims: Record<string, unknown>): number {
  return (PersonRoles as readonly unknown[]).includes(claims.kanta_role) ? PERSON_LIFETIME_SECONDS : OTHER_LIFETIME_SECONDS;
}

export async function createDevIssuer(opts: { issuer: string; audience: string; now?: () => Date }): Promise<DevIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks: JSONWebKeySet = { keys: [{ ...publicJwk, kid, alg: ALG, use: 'sig' }] };
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: ALG };
  const now = opts.now ?? (() => new Date());

  async function mint(claims: Record<string, unknown>, lifetimeSeconds?: number): Promise<string> {
    const payload: Record<string, unknown> = { ...claims };
    for (const r of RESERVED) delete payload[r];
    const iat = typeof payload.iat === 'number' ? payload.iat : Math.floor(now().getTime() / 1000);
    const exp = typeof payload.exp === 'number' ? payload.exp : iat + (lifetimeSeconds ?? defaultLifetime(claims));
    return new SignJWT({ ...payload, iat, exp, jti: typeof payload.jti === 'string' ? payload.jti : randomUUID() })
      .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
      .setIssuer(opts.issuer)
      .setAudience(opts.audience)
      .sign(privateKey);
  }

  return {
    issuer: opts.issuer,
    audience: opts.audience,
    jwks,
    signingJwk,
    personas: devPersonas,
    mint,
    async tokenResponse(claims, lifetimeSeconds) {
      const accessToken = await mint(claims, lifetimeSeconds);
      const { exp } = decodeJwt(accessToken);
      const expiresIn = (exp ?? 0) - Math.floor(now().getTime() / 1000);
      return {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: expiresIn,
        ...(typeof claims.scope === 'string' ? { scope: claims.scope } : undefined),
      };
    },
    async personaClaims(id) {
      const persona = devPersonas.find((p) => p.id === id);
      if (!persona) throw new OperationOutcomeError(badRequest(`Unknown persona '${id}'; known: ${devPersonas.map((p) => p.id).join(', ')}`));
      return { ...persona.claims };
    },
    async mintPersona(id, lifetimeSeconds) {
      const persona = devPersonas.find((p) => p.id === id);
      if (!persona) throw new OperationOutcomeError(badRequest(`Unknown persona '${id}'; known: ${devPersonas.map((p) => p.id).join(', ')}`));
      return mint({ ...persona.claims }, lifetimeSeconds);
    },
  };
}
