// An in-memory ResourceStore for the import tests: identifier search and all-or-nothing transactions only. https://hl7.org/fhir/R4/http.html
import { conflict, OperationOutcomeError } from '@medplum/core';
import type { Identifier, Resource } from '@medplum/fhirtypes';
import type { HistoryResult, ResourceStore, SearchQuery, SearchResult } from '../../src/store/resource-store.js';

export interface MemoryStore extends ResourceStore {
  all(): Resource[];
}

function identifiersOf(r: Resource): Identifier[] {
  const any = r as { identifier?: Identifier[]; masterIdentifier?: Identifier };
  return [...(any.identifier ?? []), ...(any.masterIdentifier ? [any.masterIdentifier] : [])];
}

function matchesToken(r: Resource, token: string): boolean {
  const [system, value] = token.includes('|') ? token.split('|') : [undefined, token];
  return identifiersOf(r).some((i) => (system === undefined || i.system === system) && i.value === value);
}

export function createMemoryStore(): MemoryStore {
  let data = new Map<string, Resource>();
  let next = 1;
  const store: MemoryStore = {
    all: () => [...data.values()],
    async read(type, id) {
      return data.get(`${type}/${id}`);
    },
    async vread(type, id) {
      return data.get(`${type}/${id}`);
    },
    async history(): Promise<HistoryResult> {
      return { entries: [], total: 0 };
    },
    async search(query: SearchQuery): Promise<SearchResult> {
      const resources = [...data.values()].filter(
        (r) =>
          r.resourceType === query.resourceType &&
          query.where.every((c) => c.kind === 'param' && c.code === 'identifier' && c.values.some((v) => matchesToken(r, v))),
      );
      return { resources: resources.slice(query.offset, query.offset + query.count), included: [] };
    },
    async create(resource) {
      const id = resource.id ?? `m${next++}`;
      // As the SQL store: a taken id is refused with a conflict and nothing is written (the import relies on it).
      if (data.has(`${resource.resourceType}/${id}`)) throw new OperationOutcomeError(conflict(`${resource.resourceType}/${id} already exists`));
      const stored = { ...structuredClone(resource), id, meta: { ...resource.meta, versionId: '1', lastUpdated: new Date(0).toISOString() } };
      data.set(`${resource.resourceType}/${id}`, stored);
      return structuredClone(stored);
    },
    async update(resource) {
      const key = `${resource.resourceType}/${resource.id}`;
      const version = Number(data.get(key)?.meta?.versionId ?? '0') + 1;
      const stored = { ...structuredClone(resource), meta: { ...resource.meta, versionId: String(version) } };
      data.set(key, stored);
      return structuredClone(stored);
    },
    async delete(type, id) {
      data.delete(`${type}/${id}`);
    },
    async isDeleted() {
      return false;
    },
    async transaction(fn) {
      const snapshot = new Map([...data].map(([k, v]) => [k, structuredClone(v)]));
      try {
        return await fn(store);
      } catch (err) {
        data = snapshot;
        throw err;
      }
    },
  };
  return store;
}
