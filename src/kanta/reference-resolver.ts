// Finds (or creates) the Patient, Organization and other records an imported source refers to, by HETU and OID; writes idempotently. https://hl7.org/fhir/R4/search.html#token
import { createHash } from 'node:crypto';
import { deepEquals, OperationOutcomeError } from '@medplum/core';
import type { Organization, Patient, RelatedPerson, Resource } from '@medplum/fhirtypes';
import type { ResourceStore, SearchQuery } from '../store/resource-store.js';
import type { RegisterKindCode } from './codes.js';
import { hetuToken, oidToken, organizationToken } from './identifiers.js';
import { toOrganization } from './provider-to-organization.js';
import { toPatient } from './person-to-patient.js';

/** What one import (or one batch of it) wrote; `unchanged` counts records whose mapped content was already stored. */
export interface ImportLog {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** The written resources themselves, when the caller audits them (kept only per batch). */
  written?: Array<{ action: 'create' | 'update'; resource: Resource }>;
}

export const emptyLog = (keepWritten = false): ImportLog => ({ created: [], updated: [], unchanged: [], ...(keepWritten ? { written: [] } : {}) });

export function identifierQuery(resourceType: string, token: string, count = 100): SearchQuery {
  return { resourceType, where: [{ kind: 'param', code: 'identifier', values: [token] }], sort: [], count, offset: 0, total: 'none', include: [], revinclude: [] };
}

export const refOf = (r: Resource): string => `${r.resourceType}/${r.id}`;

/**
 * A stable id for records that carry no identifier of their own (renewal requests, consents), derived from the
 * source identifiers that make them one record, so importing the same source again finds the same resource.
 */
export function naturalId(prefix: string, ...parts: Array<string | undefined>): string {
  return `${prefix}-${createHash('sha256').update(parts.map((p) => p ?? '').join('\u0000')).digest('hex').slice(0, 40)}`;
}

/** Same content once mapped: meta.versionId and meta.lastUpdated (set by the store) are ignored; absent and undefined agree. */
export function sameContent(stored: Resource, mapped: Resource): boolean {
  return deepEquals(JSON.parse(JSON.stringify(stored)), JSON.parse(JSON.stringify(mapped)));
}

export interface ReferenceResolver {
  findByToken<T extends Resource>(resourceType: T['resourceType'], token: string): Promise<T[]>;
  findByOid<T extends Resource>(resourceType: T['resourceType'], oid: string): Promise<T | undefined>;
  read<T extends Resource>(resourceType: T['resourceType'], id: string): Promise<T | undefined>;
  patient(hetu: string, names?: { family?: string; given?: string[] }): Promise<string>;
  organization(oid: string, details?: { name?: string; registerKinds?: RegisterKindCode[]; custodianType?: '1' | '2' }): Promise<string>;
  guardian(childRef: string, guardianHetu: string): Promise<RelatedPerson | undefined>;
  create<T extends Resource>(resource: T): Promise<T>;
  /** Logs a resource created outside the resolver (a deferred insert, import-fhir.ts PendingCreates). */
  created(resource: Resource): void;
  update<T extends Resource>(resource: T): Promise<T>;
  /** Creates `resource`, or, when `existing` is the stored record with the same natural key, writes a new version only if the content differs. */
  upsert<T extends Resource>(resource: T, existing: Resource | undefined): Promise<T>;
  /**
   * Creates the resource under its id unless that id is taken (live or deleted): then nothing is written and undefined
   * returned. The store's row insert finds the id itself, so a new resource costs no lookup first.
   */
  createIfAbsent<T extends Resource>(resource: T): Promise<T | undefined>;
}

/**
 * For stores without createAbsent (the consent-guarded store of `$kanta-import`): their create refuses an id that
 * exists with a `conflict` issue, and writes nothing (sql-resource-store.ts).
 * A conflict of another cause is not hidden: the caller then reads the id and, finding it not stored, creates again,
 * which throws that conflict.
 */
const isTaken = (err: unknown): boolean => err instanceof OperationOutcomeError && err.outcome.issue?.[0]?.code === 'conflict';

export function createReferenceResolver(store: ResourceStore, log: ImportLog): ReferenceResolver {
  const resolver: ReferenceResolver = {
    async findByToken<T extends Resource>(resourceType: T['resourceType'], token: string): Promise<T[]> {
      return (await store.search(identifierQuery(resourceType, token))).resources as T[];
    },
    async findByOid<T extends Resource>(resourceType: T['resourceType'], oid: string): Promise<T | undefined> {
      return (await resolver.findByToken<T>(resourceType, oidToken(oid)))[0];
    },
    async read<T extends Resource>(resourceType: T['resourceType'], id: string): Promise<T | undefined> {
      return (await store.read(resourceType, id)) as T | undefined;
    },
    async patient(hetu, names) {
      const found = (await resolver.findByToken<Patient>('Patient', hetuToken(hetu)))[0];
      if (found) return refOf(found);
      return refOf(await resolver.create(toPatient({ hetu, family: names?.family, given: names?.given })));
    },
    async organization(oid, details) {
      const found = (await resolver.findByToken<Organization>('Organization', organizationToken(oid)))[0];
      if (found) return refOf(found);
      return refOf(await resolver.create(toOrganization({ oid, name: details?.name ?? `Organisation ${oid}`, registerKinds: details?.registerKinds ?? [], custodianType: details?.custodianType })));
    },
    async guardian(childRef, guardianHetu) {
      const found = await resolver.findByToken<RelatedPerson>('RelatedPerson', hetuToken(guardianHetu));
      return found.find((r) => r.patient?.reference === childRef);
    },
    async create(resource) {
      const created = await store.create(resource);
      resolver.created(created);
      return created;
    },
    created(resource) {
      log.created.push(refOf(resource));
      log.written?.push({ action: 'create', resource });
    },
    async update(resource) {
      const updated = await store.update(resource);
      log.updated.push(refOf(updated));
      log.written?.push({ action: 'update', resource: updated });
      return updated;
    },
    async createIfAbsent(resource) {
      if (store.createAbsent) {
        const [created] = await store.createAbsent([resource]);
        if (created) resolver.created(created);
        return created as typeof resource | undefined;
      }
      try {
        return await resolver.create(resource);
      } catch (err) {
        if (isTaken(err)) return undefined;
        throw err;
      }
    },
    async upsert(resource, existing) {
      if (!existing) return resolver.create(resource);
      const next = { ...resource, id: existing.id };
      if (sameContent(existing, next)) {
        log.unchanged.push(refOf(existing));
        return existing as typeof resource;
      }
      return resolver.update(next);
    },
  };
  return resolver;
}
