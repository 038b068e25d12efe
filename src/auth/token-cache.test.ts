// Unit tests of the verified-token cache: hits until exp only, refusals never cached, bounded size.
import { UnsecuredJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import type { Principal } from '../context.js';
import { cachedAuthentication } from './token-cache.js';

const token = (exp: number, sub = 'x') => `Bearer ${new UnsecuredJWT({ sub }).setExpirationTime(exp).encode()}`;
const principal = { kind: 'citizen', subject: 'x', scopes: [] } as unknown as Principal;

function counting(refuse = false) {
  let calls = 0;
  return {
    calls: () => calls,
    authenticate: async () => {
      calls++;
      if (refuse) throw new Error('refused');
      return principal;
    },
  };
}

describe('verified token cache', () => {
  test('a token verified once is not verified again until it expires, then it is', async () => {
    let t = new Date('2026-01-01T00:00:00Z');
    const inner = counting();
    const auth = cachedAuthentication(inner, { now: () => t });
    const header = token(t.getTime() / 1000 + 60);
    await auth.authenticate(header);
    await auth.authenticate(header);
    expect(inner.calls()).toBe(1);
    t = new Date(t.getTime() + 61_000);
    await auth.authenticate(header);
    expect(inner.calls()).toBe(2);
  });

  test('a refused token is checked (and refused) every time', async () => {
    const inner = counting(true);
    const auth = cachedAuthentication(inner);
    const header = token(Date.now() / 1000 + 60);
    await expect(auth.authenticate(header)).rejects.toThrow('refused');
    await expect(auth.authenticate(header)).rejects.toThrow('refused');
    expect(inner.calls()).toBe(2);
  });

  test('the cache is bounded: the least recently used token is verified again', async () => {
    const inner = counting();
    const auth = cachedAuthentication(inner, { max: 2 });
    const exp = Date.now() / 1000 + 60;
    const [a, b, c] = [token(exp, 'a'), token(exp, 'b'), token(exp, 'c')];
    for (const h of [a, b, c, a]) await auth.authenticate(h);
    expect(inner.calls()).toBe(4);
  });
});
