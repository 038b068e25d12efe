// The bench's own token issuer: an ES256 key whose JWKS the gateway gets through AUTH_JWKS_FILE, so WORKERS>1 runs too. https://datatracker.ietf.org/doc/html/rfc7517
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

export interface BenchIssuer {
  /** Environment that makes the gateway trust this issuer (and only it): the production-issuer configuration. */
  env: Record<string, string>;
  mint(claims: Record<string, unknown>): Promise<string>;
}

const Issuer = 'https://bench-issuer.invalid';
const Audience = 'kanta-gateway';
const Kid = 'bench-1';
/**
 * Within the gateway's limit for person tokens (32 min); every scenario mints its own token just before it runs,
 * so the longest use (the memory run) stays inside it.
 */
const LifetimeSeconds = 30 * 60;

/**
 * The development issuer keeps its key in one process, which the gateway refuses with WORKERS above 1; a key the
 * bench holds and publishes as a JWKS file works the same for one process and for several.
 */
export async function createBenchIssuer(dir: string): Promise<BenchIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const file = join(dir, 'bench-jwks.json');
  writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: Kid, alg: 'ES256', use: 'sig' }] }));
  const key: CryptoKey = privateKey;
  return {
    env: { AUTH_JWKS_FILE: file, AUTH_ISSUER: Issuer, AUTH_AUDIENCE: Audience },
    mint: (claims) =>
      new SignJWT({ ...claims, jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: Kid, typ: 'JWT' })
        .setIssuer(Issuer)
        .setAudience(Audience)
        .setIssuedAt()
        .setExpirationTime(`${LifetimeSeconds}s`)
        .sign(key),
  };
}
