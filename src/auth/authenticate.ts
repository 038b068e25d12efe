// Bearer JWT -> Principal: signature, issuer, audience, expiry, algorithm allow-list and person-token lifetime (S1). https://datatracker.ietf.org/doc/html/rfc6750
import { readFileSync } from 'node:fs';
import { OperationOutcomeError, unauthorized } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Principal } from '../context.js';
import { serviceUnavailable } from '../fhir/outcomes.js';
import { LOCAL_BASE } from '../kanta/codes.js';
import { MAX_PERSON_TOKEN_LIFETIME_SECONDS, PersonRoles, principalFromClaims } from './claims.js';

export const REALM = 'kanta-gateway';

/** Asymmetric algorithms accepted unless configured otherwise; 'none' is never accepted, HS* only with a secret. */
export const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'] as const;
const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** How far in the future `iat` may lie (issuer clock ahead of ours); beyond it the token is refused, not trusted to start later. */
export const MAX_FUTURE_IAT_SECONDS = 60;

/** Why a token was refused; carried as a coding on the OperationOutcome so the HTTP layer and tests can tell them apart. */
export const AuthFailure = {
  MissingToken: 'missing-token',
  Malformed: 'malformed',
  Expired: 'expired',
  NotYetValid: 'not-yet-valid',
  BadSignature: 'bad-signature',
  UnknownKey: 'unknown-key',
  WrongAudience: 'wrong-audience',
  WrongIssuer: 'wrong-issuer',
  AlgorithmNotAllowed: 'alg-not-allowed',
  LifetimeTooLong: 'lifetime-too-long',
  IssuedInFuture: 'issued-in-future',
  InvalidClaims: 'invalid-claims',
} as const;
export type AuthFailureCode = (typeof AuthFailure)[keyof typeof AuthFailure];
/** Local code system of AuthFailure (no published one exists). */
export const AUTH_FAILURE_SYSTEM = `${LOCAL_BASE}/CodeSystem/auth-failure`;

export interface AuthConfig {
  /** Accepted `iss` values. */
  issuers: string | string[];
  /** Accepted `aud` values (the gateway's FHIR base URL, typically). */
  audience: string | string[];
  /** Inline key sets (e.g. the development issuer's); merged with `jwksFile`. */
  jwks?: JSONWebKeySet | JSONWebKeySet[];
  /** Path of a JWKS JSON file, read once at start. */
  jwksFile?: string;
  /** Remote JWKS URL, fetched and cached by jose; tried when no local key matches. */
  jwksUri?: string;
  /** Shared secret that enables HS256/384/512 (only those listed in `algorithms`, or HS256 by default). */
  hmacSecret?: string;
  algorithms?: string[];
  clockToleranceSeconds?: number;
  /** Clock for tests. */
  now?: () => Date;
}

export interface Authenticator {
  authenticate(authorizationHeader: string | undefined): Promise<Principal>;
  /** The algorithms in force, after removing 'none' and keyless HS*. */
  readonly algorithms: readonly string[];
}

/** A 401 OperationOutcome in @medplum/core's `unauthorized` shape with the reason as a second issue. */
export function authFailureOutcome(reason: AuthFailureCode, text: string): OperationOutcome {
  const code: OperationOutcomeIssue['code'] =
    reason === AuthFailure.Expired ? 'expired' : reason === AuthFailure.MissingToken ? 'login' : reason === AuthFailure.Malformed || reason === AuthFailure.InvalidClaims ? 'invalid' : 'security';
  return {
    ...unauthorized,
    issue: [...(unauthorized.issue ?? []), { severity: 'error', code, details: { coding: [{ system: AUTH_FAILURE_SYSTEM, code: reason }], text } }],
  };
}

function fail(reason: AuthFailureCode, text: string): never {
  throw new OperationOutcomeError(authFailureOutcome(reason, text));
}

/** The AuthFailure code an error carries, if it is an authentication failure from this module. */
export function authFailureOf(err: unknown): AuthFailureCode | undefined {
  if (!(err instanceof OperationOutcomeError)) return undefined;
  for (const issue of err.outcome.issue ?? []) {
    const c = issue.details?.coding?.find((x) => x.system === AUTH_FAILURE_SYSTEM);
    if (c?.code) return c.code as AuthFailureCode;
  }
  return undefined;
}

const quoted = (s: string): string => s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');

/**
 * The `WWW-Authenticate` value for a 401 (or 403 with insufficient scope).
 * Without a token RFC 6750 §3.1 says to send no error code; otherwise `invalid_token` with the reason.
 */
export function wwwAuthenticate(err?: unknown, options?: { insufficientScope?: string }): string {
  if (options?.insufficientScope !== undefined) {
    return `Bearer realm="${REALM}", error="insufficient_scope", error_description="${quoted(options.insufficientScope)}"`;
  }
  const reason = authFailureOf(err);
  if (reason === undefined || reason === AuthFailure.MissingToken) return `Bearer realm="${REALM}"`;
  const text = (err as OperationOutcomeError).outcome.issue?.find((i) => i.details?.coding?.some((c) => c.system === AUTH_FAILURE_SYSTEM))?.details?.text ?? reason;
  return `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted(text)}"`;
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function effectiveAlgorithms(config: AuthConfig): string[] {
  const requested = config.algorithms ?? [...DEFAULT_ALGORITHMS, ...(config.hmacSecret ? ['HS256'] : [])];
  return requested.filter((a) => a.toLowerCase() !== 'none' && (!HMAC_ALGORITHMS.includes(a) || !!config.hmacSecret));
}

function localKeys(config: AuthConfig): JSONWebKeySet | undefined {
  const sets: JSONWebKeySet[] = config.jwks === undefined ? [] : Array.isArray(config.jwks) ? [...config.jwks] : [config.jwks];
  if (config.jwksFile) sets.push(JSON.parse(readFileSync(config.jwksFile, 'utf8')) as JSONWebKeySet);
  const keys = sets.flatMap((s) => s.keys ?? []);
  return keys.length > 0 ? { keys } : undefined;
}

/** The remote key server failed: our problem, not the caller's. */
class KeySetUnavailable extends Error {}

/** Local keys first, then the remote set; HS* goes to the shared secret. */
function createKeyResolver(config: AuthConfig): JWTVerifyGetKey {
  const local = localKeys(config);
  const sets: Array<{ get: JWTVerifyGetKey; remote: boolean }> = [];
  if (local) sets.push({ get: createLocalJWKSet(local), remote: false });
  if (config.jwksUri) sets.push({ get: createRemoteJWKSet(new URL(config.jwksUri)), remote: true });
  const secret = config.hmacSecret ? new TextEncoder().encode(config.hmacSecret) : undefined;
  return async (header, token) => {
    if (header.alg && HMAC_ALGORITHMS.includes(header.alg)) {
      if (!secret) throw new errors.JOSEAlgNotAllowed('HMAC algorithms need a configured secret');
      return secret;
    }
    for (const set of sets) {
      try {
        return await set.get(header, token);
      } catch (err) {
        if (err instanceof errors.JWKSNoMatchingKey) continue;
        if (set.remote && !(err instanceof errors.JWKSMultipleMatchingKeys)) throw new KeySetUnavailable(String(err));
        throw err;
      }
    }
    throw new errors.JWKSNoMatchingKey();
  };
}

function translate(err: unknown): never {
  if (err instanceof OperationOutcomeError) throw err;
  if (err instanceof errors.JWTExpired) fail(AuthFailure.Expired, 'Token expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud':
        fail(AuthFailure.WrongAudience, 'Token not issued for this audience');
      case 'iss':
        fail(AuthFailure.WrongIssuer, 'Token issuer is not trusted');
      case 'nbf':
        fail(AuthFailure.NotYetValid, 'Token is not yet valid (nbf)');
      default:
        fail(AuthFailure.InvalidClaims, `Token claim ${err.claim} is invalid: ${err.reason}`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) fail(AuthFailure.AlgorithmNotAllowed, 'Token signing algorithm is not allowed');
  if (err instanceof errors.JWSSignatureVerificationFailed) fail(AuthFailure.BadSignature, 'Token signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey) fail(AuthFailure.UnknownKey, 'Token is signed by an unknown key');
  if (err instanceof KeySetUnavailable) {
    // Never a silent accept, and not the caller's fault either: 503.
    throw new OperationOutcomeError(serviceUnavailable('The token signing key set is unavailable'));
  }
  if (err instanceof errors.JOSEError) fail(AuthFailure.Malformed, 'Token is malformed');
  throw err;
}

export function createAuthenticator(config: AuthConfig): Authenticator {
  const algorithms = effectiveAlgorithms(config);
  const issuers = list(config.issuers);
  const audience = list(config.audience);
  if (issuers.length === 0 || audience.length === 0) throw new Error('Authenticator needs at least one issuer and one audience');
  if (!config.jwks && !config.jwksFile && !config.jwksUri && !config.hmacSecret) throw new Error('Authenticator needs a key source');
  const getKey = createKeyResolver(config);
  const clockTolerance = config.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const now = config.now ?? (() => new Date());

  async function verify(token: string): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      fail(AuthFailure.Malformed, 'Token is not a compact JWS');
    }
    if (!alg || !algorithms.includes(alg)) fail(AuthFailure.AlgorithmNotAllowed, `Token signing algorithm ${alg ?? '(none)'} is not allowed`);
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: issuers,
        audience,
        algorithms,
        clockTolerance,
        requiredClaims: ['exp'],
        currentDate: now(),
      });
      return payload;
    } catch (err) {
      translate(err);
    }
  }

  return {
    algorithms,
    async authenticate(header) {
      if (header === undefined || header.trim() === '') fail(AuthFailure.MissingToken, 'Bearer token required');
      const match = /^Bearer\s+([^\s]+)\s*$/i.exec(header);
      if (!match) fail(AuthFailure.Malformed, 'Authorization header must be "Bearer <token>"');
      const payload = await verify(match[1]);
      const nowSeconds = Math.floor(now().getTime() / 1000);
      if (typeof payload.iat === 'number' && payload.iat > nowSeconds + MAX_FUTURE_IAT_SECONDS) {
        fail(AuthFailure.IssuedInFuture, `Token claim iat lies ${Math.round((payload.iat - nowSeconds) / 60)} min in the future (more than ${MAX_FUTURE_IAT_SECONDS} s of clock skew)`);
      }
      const principal = principalFromClaims(payload);
      if (typeof principal === 'string') fail(AuthFailure.InvalidClaims, principal);
      if (PersonRoles.includes(principal.kind)) {
        // The cap counts from now as well as from iat, so a future iat cannot stretch a token's life.
        const start = typeof payload.iat === 'number' ? Math.min(payload.iat, nowSeconds) : nowSeconds;
        const lifetime = (payload.exp as number) - start;
        if (lifetime > MAX_PERSON_TOKEN_LIFETIME_SECONDS) {
          fail(AuthFailure.LifetimeTooLong, `Token lifetime ${Math.round(lifetime / 60)} min exceeds ${MAX_PERSON_TOKEN_LIFETIME_SECONDS / 60} min allowed for ${principal.kind} tokens`);
        }
      }
      return principal;
    },
  };
}
