// Remembers the look-ups consent decisions are loaded from, keyed by the patient's change stamp, so a consent change still applies on the very next request. https://hl7.org/fhir/R4/consent.html
import { LRUCache } from 'lru-cache';
import type { Resource } from '@medplum/fhirtypes';
import { isConsentFactType, isPatientFactType, type ChangeStamp, type ResourceStore, type SearchQuery, type SearchResult } from '../store/resource-store.js';

export interface ConsentFactsCache {
  /**
   * `raw` with its unguarded look-ups of fact types remembered while their stamps stay the same: Organizations under
   * the shared stamp, `patientId`'s own Patient, Consents and RelatedPersons under that patient's stamp.
   */
  view(raw: ResourceStore, patientId?: string): Promise<ResourceStore>;
}

/** Whether a search selects only `patientId`'s records: a `patient` test naming exactly that patient. */
function aboutPatient(query: SearchQuery, patientId: string): boolean {
  return query.where.some((c) => c.kind === 'param' && c.code === 'patient' && !c.modifier && c.values.length === 1 && c.values[0] === `Patient/${patientId}`);
}

/**
 * Only raw data is cached, never a decision: consents are compiled against the request's own time on every request.
 * The stamps are read first, then the data, so cached data is never older than its stamp. A write transaction reads
 * committed stamps and records until it writes a fact record itself; from then on its stamps are provisional: a hit
 * is still committed data (its own writes moved its counters past any committed value), a miss is loaded but not
 * remembered. A look-up of a patient's record that is not about the request's own patient is not cached: no stamp
 * read for this request would tell when it changed.
 */
export function createConsentFactsCache(options: { max?: number } = {}): ConsentFactsCache {
  const cache = new LRUCache<string, Promise<Resource | undefined> | Promise<SearchResult>>({ max: options.max ?? 20_000 });
  return {
    async view(raw, patientId) {
      const stamp: ChangeStamp | undefined = await raw.changeStamp?.(patientId);
      if (stamp === undefined) return raw;
      const remember = <T extends Promise<Resource | undefined> | Promise<SearchResult>>(key: string, load: () => T): T => {
        const hit = cache.get(key) as T | undefined;
        if (hit) return hit;
        if (stamp.provisional) return load();
        const p = load();
        cache.set(key, p);
        // A failed look-up is not remembered.
        p.catch(() => cache.delete(key));
        return p;
      };
      const shared = `shared ${stamp.shared}\n`;
      const mine = patientId !== undefined && stamp.patient !== undefined ? `${shared}Patient/${patientId} ${stamp.patient}\n` : undefined;
      return {
        ...raw,
        read: (type, id, access) => {
          if (access || !isConsentFactType(type)) return raw.read(type, id, access);
          if (type === 'Organization') return remember(`${shared}read ${type}/${id}`, () => raw.read(type, id));
          if (type === 'Patient' && mine && id === patientId) return remember(`${mine}read ${type}/${id}`, () => raw.read(type, id));
          return raw.read(type, id);
        },
        search: (query, access) => {
          const type = query.resourceType;
          if (access || !isConsentFactType(type)) return raw.search(query, access);
          if (type === 'Organization') return remember(`${shared}search ${JSON.stringify(query)}`, () => raw.search(query));
          if (isPatientFactType(type) && mine && aboutPatient(query, patientId!)) return remember(`${mine}search ${JSON.stringify(query)}`, () => raw.search(query));
          return raw.search(query);
        },
      };
    },
  };
}
