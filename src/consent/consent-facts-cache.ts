// Remembers the look-ups consent decisions are loaded from, keyed by the store's change stamp, so a consent change still applies on the very next request.
import { LRUCache } from 'lru-cache';
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceStore, SearchResult } from '../store/resource-store.js';

/** The types loadRequestFacts reads (src/consent/consent-facts.ts); the store's change stamp advances on any write of them. */
const FactTypes = new Set(['Consent', 'Patient', 'Organization', 'RelatedPerson']);

export interface ConsentFactsCache {
  /** `raw` with its unguarded reads and searches of fact types remembered while the stamp stays the same. */
  view(raw: ResourceStore): Promise<ResourceStore>;
}

/**
 * Only raw data is cached, never a decision: consents are compiled against the request's own time on every request.
 * The stamp is read first, then the data, so cached data is never older than its stamp; inside a transaction the
 * store gives no stamp and nothing is cached.
 */
export function createConsentFactsCache(options: { max?: number } = {}): ConsentFactsCache {
  const cache = new LRUCache<string, Promise<Resource | undefined> | Promise<SearchResult>>({ max: options.max ?? 20_000 });
  let stampSeen: string | undefined;
  return {
    async view(raw) {
      const stamp = await raw.changeStamp?.();
      if (stamp === undefined) return raw;
      if (stamp !== stampSeen) {
        cache.clear();
        stampSeen = stamp;
      }
      const remember = <T extends Promise<Resource | undefined> | Promise<SearchResult>>(key: string, load: () => T): T => {
        const k = `${stamp}\n${key}`;
        const hit = cache.get(k) as T | undefined;
        if (hit) return hit;
        const p = load();
        cache.set(k, p);
        // A failed look-up is not remembered.
        p.catch(() => cache.delete(k));
        return p;
      };
      return {
        ...raw,
        read: (type, id, access) => (access || !FactTypes.has(type) ? raw.read(type, id, access) : remember(`read ${type}/${id}`, () => raw.read(type, id))),
        search: (query, access) =>
          access || !FactTypes.has(query.resourceType) ? raw.search(query, access) : remember(`search ${JSON.stringify(query)}`, () => raw.search(query)),
      };
    },
  };
}
