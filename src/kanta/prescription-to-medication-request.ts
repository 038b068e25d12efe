// Maps an electronic prescription (sähköinen resepti) to a MedicationRequest. https://hl7.org/fhir/R4/medicationrequest.html
import type { MedicationRequest } from '@medplum/fhirtypes';
import { OidMore, ProfileId, profileUrl } from './codes.js';
import { oidIdentifier } from './identifiers.js';
import { recordSecurity, type RecordRegister } from './security-labels.js';

export interface PrescriptionInput extends RecordRegister {
  id?: string;
  prescriptionOid: string;
  patientRef: string;
  requesterRef: string;
  atc: string;
  medication: string;
  dosage?: string;
  authoredOn: string;
  validUntil?: string;
  status?: MedicationRequest['status'];
}

export function toMedicationRequest(p: PrescriptionInput): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    ...(p.id ? { id: p.id } : {}),
    meta: { profile: [profileUrl(ProfileId.MedicationRequest)], security: recordSecurity(p) },
    identifier: [oidIdentifier(p.prescriptionOid, 'official')],
    status: p.status ?? 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: OidMore.Atc, code: p.atc }], text: p.medication },
    subject: { reference: p.patientRef },
    authoredOn: p.authoredOn,
    requester: { reference: p.requesterRef },
    ...(p.dosage ? { dosageInstruction: [{ text: p.dosage }] } : {}),
    ...(p.validUntil ? { dispenseRequest: { validityPeriod: { start: p.authoredOn.slice(0, 10), end: p.validUntil } } } : {}),
  };
}
