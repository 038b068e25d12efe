// Maps a Kanta service event (palvelutapahtuma: visit or care period) to an Encounter. https://hl7.fi/fhir/finnish-base-profiles/StructureDefinition/fi-base-encounter
import type { Encounter, Extension } from '@medplum/fhirtypes';
import { EncounterClassCode, FhirSystem, FiBaseExtension, Oid, ProfileId, profileUrl } from './codes.js';
import { oidIdentifier } from './identifiers.js';
import { recordSecurity, type RecordRegister } from './security-labels.js';

export interface ServiceEventInput extends RecordRegister {
  id?: string;
  serviceEventOid: string;
  kind: 'visit' | 'care-period';
  patientRef: string;
  providerRef: string;
  start: string;
  end?: string;
  status?: Encounter['status'];
  /** Social-care event: the service task's EpisodeOfCare. */
  episodeOfCareRef?: string;
  /** FI Base RestrictionParent code 1-4 (the minor's decision on guardians). */
  restrictionParent?: string;
}

export function restrictionParentExtension(code: string): Extension {
  return { url: FiBaseExtension.RestrictionParent, valueCoding: { system: Oid.RestrictionParent, code } };
}

export function toEncounter(e: ServiceEventInput): Encounter {
  const classCode = e.kind === 'care-period' ? EncounterClassCode.CarePeriod : EncounterClassCode.Visit;
  return {
    resourceType: 'Encounter',
    ...(e.id ? { id: e.id } : {}),
    meta: { profile: [profileUrl(ProfileId.Encounter)], security: recordSecurity(e) },
    ...(e.restrictionParent ? { extension: [restrictionParentExtension(e.restrictionParent)] } : {}),
    identifier: [oidIdentifier(e.serviceEventOid, 'official')],
    status: e.status ?? 'finished',
    class: { system: FhirSystem.V3ActCode, code: classCode, display: classCode === 'IMP' ? 'inpatient encounter' : 'ambulatory' },
    subject: { reference: e.patientRef },
    ...(e.episodeOfCareRef ? { episodeOfCare: [{ reference: e.episodeOfCareRef }] } : {}),
    period: { start: e.start, ...(e.end ? { end: e.end } : {}) },
    serviceProvider: { reference: e.providerRef },
  };
}
