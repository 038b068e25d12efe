// Maps a citizen's prescription renewal request (uusimispyyntö) to a Task whose focus is the MedicationRequest. https://hl7.org/fhir/R4/task.html
import type { Task } from '@medplum/fhirtypes';
import { LocalSystemMore, ProfileId, TaskKindCode, profileUrl } from './codes.js';
import { recordSecurity, type RecordRegister } from './security-labels.js';

export interface RenewalRequestInput {
  id?: string;
  medicationRequestRef: string;
  patientRef: string;
  authoredOn: string;
  ownerRef?: string;
  note?: string;
  status?: Task['status'];
  /** The prescription's register, copied so disclosure rules treat the request like the prescription. */
  register?: RecordRegister;
}

export function toRenewalTask(r: RenewalRequestInput): Task {
  return {
    resourceType: 'Task',
    ...(r.id ? { id: r.id } : {}),
    meta: { profile: [profileUrl(ProfileId.RenewalTask)], ...(r.register ? { security: recordSecurity(r.register) } : {}) },
    status: r.status ?? 'requested',
    intent: 'order',
    code: { coding: [{ system: LocalSystemMore.TaskKind, code: TaskKindCode.PrescriptionRenewal, display: 'Reseptin uusimispyyntö' }] },
    focus: { reference: r.medicationRequestRef },
    for: { reference: r.patientRef },
    requester: { reference: r.patientRef },
    authoredOn: r.authoredOn,
    ...(r.ownerRef ? { owner: { reference: r.ownerRef } } : {}),
    ...(r.note ? { note: [{ text: r.note }] } : {}),
  };
}
