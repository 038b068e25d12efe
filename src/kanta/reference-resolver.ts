// Finds (or creates) the Patient, Organization and other records an imported source refers to, by HETU and OID. https://hl7.org/fhir/R4/search.html#token
import type { Organization, Patient, RelatedPerson, Resource } from '@medplum/fhirtypes';
import type { ResourceStore, SearchQuery } from '../store/resource-store.js';
import type { RegisterKindCode } from './codes.js';
import { hetuToken, oidToken, organizationToken } from './identifiers.js';
import { toOrganization } from './provider-to-organization.js';
import { toPatient } from './person-to-patient.js';

export interface ImportLog {
  created: string[];
  updated: string[];
}

export function identifierQuery(resourceType: string, token: string, count = 100): SearchQuery {
  return { resourceType, where: [{ kind: 'param', code: 'identifier', values: [token] }], sort: [], count, offset: 0, total: 'none', include: [], revinclude: [] };
}

export const refOf = (r: Resource): string => `${r.resourceType}/${r.id}`;

export interface ReferenceResolver {
  findByToken<T extends Resource>(resourceType: T['resourceType'], token: string): Promise<T[]>;
  findByOid<T extends Resource>(resourceType: T['resourceType'], oid: string): Promise<T | undefined>;
  patient(hetu: string, names?: { family?: string; given?: string[] }): Promise<string>;
  organization(oid: string, details?: { name?: string; registerKinds?: RegisterKindCode[]; custodianType?: '1' | '2' }): Promise<string>;
  guardian(childRef: string, guardianHetu: string): Promise<RelatedPerson | undefined>;
  create<T extends Resource>(resource: T): Promise<T>;
  update<T extends Resource>(resource: T): Promise<T>;
}

export function createReferenceResolver(store: ResourceStore, log: ImportLog): ReferenceResolver {
  const resolver: ReferenceResolver = {
    async findByToken<T extends Resource>(resourceType: T['resourceType'], token: string): Promise<T[]> {
      return (await store.search(identifierQuery(resourceType, token))).resources as T[];
    },
    async findByOid<T extends Resource>(resourceType: T['resourceType'], oid: string): Promise<T | undefined> {
      return (await resolver.findByToken<T>(resourceType, oidToken(oid)))[0];
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
      log.created.push(refOf(created));
      return created;
    },
    async update(resource) {
      const updated = await store.update(resource);
      log.updated.push(refOf(updated));
      return updated;
    },
  };
  return resolver;
}
