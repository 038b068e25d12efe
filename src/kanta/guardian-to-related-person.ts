// Builds the guardian (huoltaja) of a minor as a RelatedPerson of the child, identified by the guardian's HETU. https://hl7.org/fhir/R4/relatedperson.html
import type { RelatedPerson } from '@medplum/fhirtypes';
import { FhirSystem, GuardianRelationship, ProfileId, profileUrl } from './codes.js';
import { hetuIdentifier } from './identifiers.js';

export interface GuardianInput {
  id?: string;
  /** Reference to the child's Patient. */
  childRef: string;
  guardianHetu: string;
  family?: string;
  given?: string[];
  start?: string;
  end?: string;
}

export function toRelatedPerson(g: GuardianInput): RelatedPerson {
  return {
    resourceType: 'RelatedPerson',
    ...(g.id ? { id: g.id } : {}),
    meta: { profile: [profileUrl(ProfileId.Guardian)] },
    identifier: [hetuIdentifier(g.guardianHetu)],
    active: true,
    patient: { reference: g.childRef },
    relationship: [{ coding: [{ system: FhirSystem.V3RoleCode, code: GuardianRelationship, display: 'guardian' }] }],
    ...(g.family || g.given ? { name: [{ family: g.family, given: g.given }] } : {}),
    ...(g.start || g.end ? { period: { start: g.start, end: g.end } } : {}),
  };
}
