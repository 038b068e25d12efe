// Unit tests of the consent look-up cache: hits while the stamps hold, a patient's new stamp is a miss for that patient only, no stamp means no cache.
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import type { ChangeStamp, ResourceStore, SearchQuery } from '../store/resource-store.js';
import { createConsentFactsCache } from './consent-facts-cache.js';

const q = (resourceType: string, patient?: string): SearchQuery => ({
  resourceType,
  where: patient ? [{ kind: 'param', code: 'patient', values: [`Patient/${patient}`] }] : [],
  sort: [],
  count: 10,
  offset: 0,
  total: 'none',
  include: [],
  revinclude: [],
});

/** A store counting its look-ups; `stamps` holds the shared counter and one per patient. */
function countingStore(stamps: { shared: number; patients: Record<string, number> } | undefined) {
  const calls = { read: 0, search: 0 };
  const store = {
    changeStamp: async (p?: string): Promise<ChangeStamp | undefined> =>
      stamps && { shared: String(stamps.shared), ...(p === undefined ? {} : { patient: String(stamps.patients[p] ?? 0) }) },
    read: async (type: string, id: string) => (calls.read++, { resourceType: type, id } as Resource),
    search: async () => (calls.search++, { resources: [], included: [] }),
  } as unknown as ResourceStore;
  return { store, calls };
}

/** The look-ups loadRequestFacts makes for a request about `p`. */
async function factLookups(cache: ReturnType<typeof createConsentFactsCache>, store: ResourceStore, p: string): Promise<void> {
  const v = await cache.view(store, p);
  await v.read('Patient', p);
  await v.search(q('Consent', p));
  await v.read('Organization', 'org1');
}

describe('consent facts cache', () => {
  test("a patient's look-ups are remembered while their stamp stays, and loaded again once it moves", async () => {
    const stamps = { shared: 1, patients: { p1: 1 } as Record<string, number> };
    const { store, calls } = countingStore(stamps);
    const cache = createConsentFactsCache();
    for (let i = 0; i < 3; i++) await factLookups(cache, store, 'p1');
    expect(calls).toEqual({ read: 2, search: 1 });
    stamps.patients.p1 = 2;
    await factLookups(cache, store, 'p1');
    // The Organization is shared and its stamp did not move.
    expect(calls).toEqual({ read: 3, search: 2 });
  });

  test("another patient's change does not reload this patient's facts; a shared change reloads everyone's", async () => {
    const stamps = { shared: 1, patients: { p1: 1, p2: 1 } as Record<string, number> };
    const { store, calls } = countingStore(stamps);
    const cache = createConsentFactsCache();
    await factLookups(cache, store, 'p1');
    await factLookups(cache, store, 'p2');
    expect(calls).toEqual({ read: 3, search: 2 });
    stamps.patients.p2 = 2;
    await factLookups(cache, store, 'p1');
    expect(calls).toEqual({ read: 3, search: 2 });
    stamps.shared = 2;
    await factLookups(cache, store, 'p1');
    expect(calls).toEqual({ read: 5, search: 3 });
  });

  test("look-ups of another patient's records, other types, policy-constrained look-ups and stores without a stamp are never cached", async () => {
    const none = countingStore(undefined);
    const cache = createConsentFactsCache();
    for (let i = 0; i < 2; i++) await (await cache.view(none.store, 'p1')).read('Patient', 'p1');
    expect(none.calls.read).toBe(2);
    const stamped = countingStore({ shared: 1, patients: {} });
    for (let i = 0; i < 2; i++) {
      const v = await cache.view(stamped.store, 'p1');
      await v.read('Patient', 'p2');
      await v.search(q('Consent', 'p2'));
      await v.search(q('Consent'));
      await v.read('Encounter', 'e1');
      await v.search(q('Consent', 'p1'), { forType: () => ({ kind: 'true' }) });
    }
    expect(stamped.calls).toEqual({ read: 4, search: 6 });
    // Without a patient in the request, only Organizations are remembered.
    const noPatient = countingStore({ shared: 1, patients: {} });
    for (let i = 0; i < 2; i++) {
      const v = await cache.view(noPatient.store);
      await v.read('Organization', 'o1');
      await v.read('Patient', 'p1');
    }
    expect(noPatient.calls.read).toBe(3);
  });

  test('under a provisional stamp (inside a write transaction) remembered look-ups are used, and new ones are not remembered', async () => {
    const stamps = { shared: 1, patients: { p1: 1 } as Record<string, number> };
    const { store, calls } = countingStore(stamps);
    const provisional = { ...store, changeStamp: async (p?: string) => ({ ...(await store.changeStamp!(p))!, provisional: true as const }) } as ResourceStore;
    const cache = createConsentFactsCache();
    await factLookups(cache, provisional, 'p1');
    await factLookups(cache, provisional, 'p1');
    // Nothing loaded under the provisional stamp was kept: each request loaded again.
    expect(calls).toEqual({ read: 4, search: 2 });
    await factLookups(cache, store, 'p1');
    expect(calls).toEqual({ read: 6, search: 3 });
    // Committed look-ups under the same stamp now serve the write.
    await factLookups(cache, provisional, 'p1');
    expect(calls).toEqual({ read: 6, search: 3 });
    // The transaction's own write moves its stamp past every committed one: loaded afresh from the transaction.
    stamps.patients.p1 = 2;
    await factLookups(cache, provisional, 'p1');
    expect(calls).toEqual({ read: 7, search: 4 });
  });
});

