// In-process storage for the development authorization server's codes, sessions and grants (node-oidc-provider adapter API). https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#adapter
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * One store per gateway (not the library's module-level one, so test gateways never share sessions).
 * Lost on restart, which is right for a development issuer: tokens it issued stay verifiable by key, codes do not.
 */
export function createMemoryAdapterFactory(now: () => number = Date.now): (name: string) => Adapter {
  const entries = new Map<string, Entry>();
  const byGrant = new Map<string, Set<string>>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();

  const live = (key: string): AdapterPayload | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return e.payload;
  };

  return (name) => {
    const k = (id: string) => `${name}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const key = k(id);
        entries.set(key, { payload, expiresAt: expiresIn ? now() + expiresIn * 1000 : Number.POSITIVE_INFINITY });
        if (payload.grantId) {
          const set = byGrant.get(payload.grantId) ?? new Set<string>();
          set.add(key);
          byGrant.set(payload.grantId, set);
        }
        if (payload.uid) byUid.set(payload.uid, id);
        if (payload.userCode) byUserCode.set(payload.userCode, id);
      },
      async find(id) {
        return live(k(id));
      },
      async findByUid(uid) {
        const id = byUid.get(uid);
        return id === undefined ? undefined : live(k(id));
      },
      async findByUserCode(userCode) {
        const id = byUserCode.get(userCode);
        return id === undefined ? undefined : live(k(id));
      },
      async consume(id) {
        const e = entries.get(k(id));
        if (e) e.payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(id) {
        entries.delete(k(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of byGrant.get(grantId) ?? []) entries.delete(key);
        byGrant.delete(grantId);
      },
    };
  };
}
