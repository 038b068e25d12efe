// Unit tests of the consent look-up cache: hits while the change stamp holds, a new stamp is a miss, no stamp means no cache.
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import type { ResourceStore, SearchQuery } from '../store/resource-store.js';
import { createConsentFactsCache } from './consent-facts-cache.js';

const q = (resourceType: string): SearchQuery => ({ resourceType, where: [], sort: [], count: 10, offset: 0, total: 'none', include: [], revinclude: [] });

function countingStore(stamp: () => string | undefined) {
  const calls = { read: 0, search: 0 };
  const store = {
    changeStamp: async () => stamp(),
    read: async (type: string, id: string) => (calls.read++, { resourceType: type, id } as Resource),
    search: async () => (calls.search++, { resources: [], included: [] }),
  } as unknown as ResourceStore;
  return { store, calls };
}

describe('consent facts cache', () => {
  test('look-ups of consent fact types are remembered while the stamp stays, and loaded again once it moves', async () => {
    let stamp = '1';
    const { store, calls } = countingStore(() => stamp);
    const cache = createConsentFactsCache();
    for (let i = 0; i < 3; i++) {
      const v = await cache.view(store);
      await v.read('Patient', 'p1');
      await v.search(q('Consent'));
    }
    expect(calls).toEqual({ read: 1, search: 1 });
    stamp = '2';
    const v = await cache.view(store);
    await v.read('Patient', 'p1');
    await v.search(q('Consent'));
    expect(calls).toEqual({ read: 2, search: 2 });
  });

  test('other types, policy-constrained look-ups and stores without a stamp (a transaction) are never cached', async () => {
    const { store, calls } = countingStore(() => undefined);
    const cache = createConsentFactsCache();
    for (let i = 0; i < 2; i++) await (await cache.view(store)).read('Patient', 'p1');
    expect(calls.read).toBe(2);
    const stamped = countingStore(() => '1');
    for (let i = 0; i < 2; i++) {
      const v = await cache.view(stamped.store);
      await v.read('Encounter', 'e1');
      await v.search(q('Consent'), { forType: () => ({ kind: 'true' }) });
    }
    expect(stamped.calls).toEqual({ read: 2, search: 2 });
  });
});
