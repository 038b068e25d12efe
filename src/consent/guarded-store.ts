// The consent-guarded ResourceStore: the only store the FHIR layer receives; every read path carries the policy. https://hl7.org/fhir/R4/security.html
import { notFound, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { AccessPolicy, HistoryQuery, HistoryResult, ResourceStore, SearchQuery, SearchResult, WriteOptions } from '../store/resource-store.js';
import type { DisclosureObserver } from './disclosure-observer.js';
import type { WriteGuard } from './write-guard.js';

/**
 * Wraps `inner` (the raw store) so that reads, vreads, history and searches are constrained by `policy`
 * inside the query (D11: withheld data is simply absent), and writes pass `writeGuard` first.
 * A caller-supplied `access` argument is ignored: the policy of this request is the only one.
 */
export function createGuardedStore(
  inner: ResourceStore,
  policy: AccessPolicy & { refusal?(resourceType: string): unknown },
  observer: DisclosureObserver,
  writeGuard: WriteGuard,
  /** The same rules without the token's scopes: what a written reference may name. */
  referable: AccessPolicy,
  /** Throws the 403 of a type the caller's role may never read (from the consent service, in the caller's language). */
  refuseType: (resourceType: string) => never,
  /** Last change to what leaves the store for this caller (e.g. withheld entities cut from AuditEvents, D11). */
  present: (r: Resource) => Resource = (r) => r,
): ResourceStore {
  const visible = (resourceType: string, id: string): Promise<Resource | undefined> => inner.read(resourceType, id, policy);
  /** A type the caller's role may never ask for answers 403 before any query (it depends on the role, not the data). */
  const asking = (resourceType: string | undefined): void => {
    if (resourceType && policy.refusal?.(resourceType)) refuseType(resourceType);
  };

  /** Writes must not reveal or touch what the caller cannot see: a hidden target answers as missing. */
  async function existingFor(resourceType: string, id: string | undefined): Promise<Resource | undefined> {
    if (!id) return undefined;
    const raw = await inner.read(resourceType, id);
    if (!raw) return undefined;
    if (!(await visible(resourceType, id))) {
      observer.withheld({ resourceType, id });
      throw new OperationOutcomeError(notFound);
    }
    return raw;
  }

  const store: ResourceStore = {
    async read(resourceType, id) {
      asking(resourceType);
      const r = await inner.read(resourceType, id, policy);
      if (r) observer.disclosed([r]);
      else if (await inner.read(resourceType, id)) observer.withheld({ resourceType, id });
      return r && present(r);
    },
    async vread(resourceType, id, versionId) {
      asking(resourceType);
      const r = await inner.vread(resourceType, id, versionId, policy);
      if (r) observer.disclosed([r]);
      else if (await inner.vread(resourceType, id, versionId)) observer.withheld({ resourceType, id });
      return r && present(r);
    },
    async history(query: HistoryQuery): Promise<HistoryResult> {
      asking(query.resourceType);
      const result = await inner.history(query, policy);
      observer.disclosed(result.entries.filter((e) => !e.deleted).map((e) => e.resource));
      return { ...result, entries: result.entries.map((e) => (e.deleted ? e : { ...e, resource: present(e.resource) })) };
    },
    async search(query: SearchQuery): Promise<SearchResult> {
      asking(query.resourceType);
      const result = await inner.search(query, policy);
      observer.disclosed([...result.resources, ...result.included]);
      return { ...result, resources: result.resources.map(present), included: result.included.map(present) };
    },
    async create<T extends Resource>(resource: T): Promise<T> {
      // The guard decides on the body alone, so it runs before the id is looked up: a caller who may not write this at
      // all gets the same 403 whether or not a withheld resource holds that id (D11). Permitted writers still get 404
      // for a withheld id, and the store's own answer for a visible one.
      const toWrite = (await writeGuard('create', resource, undefined)) as T;
      if (resource.id && (await inner.read(resource.resourceType, resource.id))) await existingFor(resource.resourceType, resource.id);
      const created = await inner.create(toWrite);
      observer.disclosed([created]);
      return created;
    },
    async update<T extends Resource>(resource: T, options?: WriteOptions): Promise<T> {
      const existing = await existingFor(resource.resourceType, resource.id);
      const toWrite = (await writeGuard(existing ? 'update' : 'create', resource, existing)) as T;
      const updated = await inner.update(toWrite, options);
      observer.disclosed([updated]);
      return updated;
    },
    async resolves(resourceType: string, id: string): Promise<boolean> {
      return !!(await inner.read(resourceType, id, referable));
    },
    async checkWrite<T extends Resource>(op: 'create' | 'update', resource: T): Promise<T> {
      const existing = op === 'update' ? await existingFor(resource.resourceType, resource.id) : undefined;
      return ((await writeGuard(existing ? 'update' : 'create', resource, existing)) ?? resource) as T;
    },
    async delete(resourceType: string, id: string): Promise<void> {
      const existing = await existingFor(resourceType, id);
      if (!existing) throw new OperationOutcomeError(notFound);
      await writeGuard('delete', undefined, existing);
      await inner.delete(resourceType, id);
    },
    ...(inner.purge
      ? {
          async purge(resourceType: string, id: string): Promise<void> {
            const existing = await existingFor(resourceType, id);
            if (!existing) throw new OperationOutcomeError(notFound);
            await writeGuard('delete', undefined, existing);
            await inner.purge!(resourceType, id);
          },
        }
      : undefined),
    async isDeleted(resourceType: string, id: string): Promise<boolean> {
      if (!(await inner.isDeleted(resourceType, id))) return false;
      // 410 only for what the caller could once see; otherwise a deletion would betray a withheld record.
      const versions = await inner.history({ resourceType, id, count: 1000, offset: 0 }, policy);
      return versions.entries.some((e) => !e.deleted);
    },
    // Read-only and data-independent: the answer depends on the caller's policy, never on which records exist.
    coversAll(resourceType: string): boolean {
      return policy.forType(resourceType).kind === 'true';
    },
    transaction<T>(fn: (tx: ResourceStore) => Promise<T>): Promise<T> {
      return inner.transaction((tx) => fn(createGuardedStore(tx, policy, observer, writeGuard, referable, refuseType, present)));
    },
  };
  return store;
}

export type { AccessPolicy };
