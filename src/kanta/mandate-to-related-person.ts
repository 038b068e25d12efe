// Builds an adult proxy (Suomi.fi valtuutettu) as a RelatedPerson of the principal, naming the mandates held. https://hl7.org/fhir/R4/relatedperson.html
import type { RelatedPerson } from '@medplum/fhirtypes';
import { FhirSystem, LocalSystem, ProxyRelationship } from './codes.js';
import { hetuIdentifier } from './identifiers.js';

export interface MandateInput {
  id?: string;
  /** Reference to the principal's Patient. */
  principalRef: string;
  proxyHetu: string;
  /** Mandates held: 'health' (Terveydenhuollon asioiden hoito) and/or 'social' (Sosiaalihuollon asioiden hoito). */
  mandates: Array<'health' | 'social'>;
  family?: string;
  given?: string[];
  start?: string;
  end?: string;
}

export function toMandateRelatedPerson(m: MandateInput): RelatedPerson {
  return {
    resourceType: 'RelatedPerson',
    ...(m.id ? { id: m.id } : {}),
    identifier: [hetuIdentifier(m.proxyHetu)],
    active: true,
    patient: { reference: m.principalRef },
    relationship: [
      { coding: [{ system: FhirSystem.V3RoleCode, code: ProxyRelationship, display: 'power of attorney' }] },
      ...m.mandates.map((code) => ({ coding: [{ system: LocalSystem.SuomiFiMandate, code }] })),
    ],
    ...(m.family || m.given ? { name: [{ family: m.family, given: m.given }] } : {}),
    ...(m.start || m.end ? { period: { start: m.start, end: m.end } } : {}),
  };
}
