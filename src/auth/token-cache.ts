// Remembers verified bearer tokens until they expire, so a client's repeated requests skip signature verification (S1 unchanged). https://datatracker.ietf.org/doc/html/rfc7519#section-4.1.4
import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../context.js';
import type { Authentication } from '../pipeline/ports.js';

export interface TokenCacheOptions {
  /** Most tokens remembered at once (memory stays bounded under any number of clients). */
  max?: number;
  now?: () => Date;
}

/**
 * Only tokens the inner authenticator accepted are remembered, each at most until its own `exp` (no clock
 * tolerance on a hit), keyed by the whole Authorization header. A refusal is never cached, so a bad token
 * is verified, refused and audited every time.
 */
export function cachedAuthentication(inner: Authentication, options: TokenCacheOptions = {}): Authentication {
  const now = options.now ?? (() => new Date());
  const cache = new LRUCache<string, { principal: Principal; exp: number }>({ max: options.max ?? 10_000 });
  return {
    async authenticate(header) {
      if (header) {
        const hit = cache.get(header);
        if (hit) {
          if (now().getTime() < hit.exp * 1000) return hit.principal;
          cache.delete(header);
        }
      }
      const principal = await inner.authenticate(header);
      if (header) {
        const exp = decodeJwt(header.replace(/^Bearer\s+/i, '').trim()).exp;
        if (typeof exp === 'number') cache.set(header, { principal, exp });
      }
      return principal;
    },
  };
}
