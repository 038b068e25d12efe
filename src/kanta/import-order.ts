// Dependency order of an import run: organisations, persons, service events, documents by version, then records that point at them. https://hl7.org/fhir/R4/references.html
import type { DocumentReference, Organization, Resource } from '@medplum/fhirtypes';
import { LocalExtensionMore } from './codes.js';

/**
 * Lower phases are applied first, whatever the order of files and of records within them, so a reference to
 * something in the same run always finds it already stored; a reference that is still missing is to something
 * absent from both the store and the run.
 */
export const Phase = {
  Organization: 0,
  OrganizationUnit: 1,
  Person: 2,
  Guardian: 3,
  ClientRelationship: 4,
  ServiceEvent: 5,
  Prescription: 5,
  /** Plus the document's version number: a replacement or invalidation follows the version it replaces. */
  Document: 10,
  /** Renewal requests and consents point at prescriptions, service events and documents. */
  Dependent: 1000,
  Other: 1001,
} as const;

const MaxVersion = 900;

export function documentPhase(version: number | undefined): number {
  return Phase.Document + Math.min(Math.max(1, Math.trunc(version ?? 1)), MaxVersion);
}

export function recordPhase(type: string): number {
  switch (type) {
    case 'organization':
      return Phase.OrganizationUnit; // may name its register holder by OID (created when missing)
    case 'patient':
      return Phase.Person;
    case 'guardian':
      return Phase.Guardian;
    case 'client-relationship':
      return Phase.ClientRelationship;
    case 'service-event':
      return Phase.ServiceEvent;
    case 'prescription':
      return Phase.Prescription;
    default:
      return Phase.Dependent;
  }
}

export function resourcePhase(r: Resource): number {
  switch (r.resourceType) {
    case 'Organization':
      return (r as Organization).partOf ? Phase.OrganizationUnit : Phase.Organization;
    case 'Patient':
      return Phase.Person;
    case 'RelatedPerson':
      return Phase.Guardian;
    case 'EpisodeOfCare':
      return Phase.ClientRelationship;
    case 'Encounter':
      return Phase.ServiceEvent;
    case 'MedicationRequest':
      return Phase.Prescription;
    case 'DocumentReference': {
      const d = r as DocumentReference;
      const version = d.extension?.find((e) => e.url === LocalExtensionMore.DocumentVersion)?.valueInteger;
      return documentPhase(version ?? (d.relatesTo?.length ? 2 : 1));
    }
    case 'Task':
    case 'Consent':
      return Phase.Dependent;
    default:
      return Phase.Other;
  }
}
