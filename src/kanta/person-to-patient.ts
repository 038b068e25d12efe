// Builds a Patient identified by HETU (FI Base Patient, PIC slice). https://hl7.fi/fhir/finnish-base-profiles/StructureDefinition/fi-base-patient
import type { Patient } from '@medplum/fhirtypes';
import { Oid, ProfileId, profileUrl } from './codes.js';
import { birthDateFromHetu, sexFromHetu } from './hetu.js';
import { hetuIdentifier } from './identifiers.js';

export interface PersonInput {
  id?: string;
  hetu: string;
  family?: string;
  given?: string[];
  /** Municipality code (urn:oid:1.2.246.537.6.21). */
  municipality?: string;
}

export function toPatient(person: PersonInput): Patient {
  const name = person.family || person.given?.length ? [{ use: 'official' as const, family: person.family, given: person.given }] : undefined;
  return {
    resourceType: 'Patient',
    ...(person.id ? { id: person.id } : {}),
    meta: { profile: [profileUrl(ProfileId.Patient)] },
    ...(person.municipality
      ? { extension: [{ url: 'https://hl7.fi/fhir/finnish-base-profiles/StructureDefinition/municipality-code', valueCoding: { system: Oid.Municipality, code: person.municipality } }] }
      : {}),
    identifier: [hetuIdentifier(person.hetu)],
    active: true,
    ...(name ? { name } : {}),
    gender: sexFromHetu(person.hetu),
    birthDate: birthDateFromHetu(person.hetu),
  };
}
