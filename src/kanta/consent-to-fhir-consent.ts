// Maps a Kanta declaration of intent (informing, permission, prohibition, will, EU consent, app authorisation) to a Consent. https://hl7.org/fhir/R4/consent.html
import type { Consent, ConsentProvision } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest } from '@medplum/core';
import {
  ClientDataActUri, ConsentActorRole, ConsentKind, FhirSystem, LocalSystem, LocalSystemMore, type ConsentKindCode, profileUrl,
} from './codes.js';
import { conceptMaps, displayOf, translate } from './mapping-tables.js';
import { serviceTaskCoding } from './service-task-to-episode-of-care.js';

/** One target, references already resolved to `Type/id`. */
export interface ConsentTargetInput {
  registerHolderRef?: string;
  serviceEventRef?: string;
  serviceTask?: string;
  /** Every version of the one document a prohibition targets. */
  documentRefs?: string[];
  prescriptionRef?: string;
  recipientRef?: string;
  dataClass?: string;
  dataStart?: string;
  dataEnd?: string;
}

export interface ConsentInput {
  id?: string;
  kind: ConsentKindCode;
  patientRef: string;
  /** Who gave it: the Patient, or the guardian's RelatedPerson. */
  performerRef: string;
  dateTime: string;
  status?: 'active' | 'inactive';
  start?: string;
  end?: string;
  /** Organ donation will: permit (willing) or deny. */
  decision?: 'permit' | 'deny';
  /** Living will text. */
  text?: string;
  app?: { clientId: string; name: string };
  targets?: ConsentTargetInput[];
}

const RESOURCE_TYPES = 'http://hl7.org/fhir/resource-types';
const PERMISSIONS: readonly string[] = [
  ConsentKind.PermissionHealth, ConsentKind.PermissionSocial, ConsentKind.PermissionHealthToSocial, ConsentKind.PermissionSocialToHealth,
];

function fail(message: string, expression: string): never {
  throw new OperationOutcomeError(badRequest(message, expression));
}

function actor(role: string, reference: string): NonNullable<ConsentProvision['actor']>[number] {
  return { role: { coding: [{ system: FhirSystem.V3ParticipationType, code: role }] }, reference: { reference } };
}

function permitTarget(t: ConsentTargetInput): ConsentProvision {
  return {
    type: 'permit',
    ...(t.recipientRef ? { actor: [actor(ConsentActorRole.Recipient, t.recipientRef)] } : {}),
    ...(t.dataClass ? { class: [{ system: RESOURCE_TYPES, code: t.dataClass }] } : {}),
    ...(t.serviceTask ? { code: [{ coding: [serviceTaskCoding(t.serviceTask)] }] } : {}),
    ...(t.dataStart || t.dataEnd ? { dataPeriod: { start: t.dataStart, end: t.dataEnd } } : {}),
  };
}

function denyTarget(t: ConsentTargetInput, i: number): ConsentProvision {
  const count = [t.registerHolderRef, t.serviceEventRef, t.serviceTask, t.documentRefs].filter((x) => x !== undefined).length;
  if (count !== 1) fail(`a prohibition target names exactly one of registerHolder, serviceEvent, serviceTask, document (target ${i} names ${count})`, `targets[${i}]`);
  if (t.registerHolderRef) return { type: 'deny', actor: [actor(ConsentActorRole.Custodian, t.registerHolderRef)] };
  if (t.serviceEventRef) return { type: 'deny', data: [{ meaning: 'dependents', reference: { reference: t.serviceEventRef } }] };
  if (t.serviceTask) return { type: 'deny', code: [{ coding: [serviceTaskCoding(t.serviceTask)] }] };
  return { type: 'deny', data: (t.documentRefs ?? []).map((reference) => ({ meaning: 'instance' as const, reference: { reference } })) };
}

function provisionFor(c: ConsentInput): ConsentProvision {
  const period = c.start || c.end ? { period: { start: c.start, end: c.end } } : {};
  const targets = c.targets ?? [];
  if (PERMISSIONS.includes(c.kind)) {
    return { type: 'permit', ...period, ...(targets.length ? { provision: targets.map(permitTarget) } : {}) };
  }
  switch (c.kind) {
    case ConsentKind.Prohibition:
      if (!targets.length) fail('a prohibition needs at least one target', 'targets');
      return { type: 'deny', ...period, provision: targets.map(denyTarget) };
    case ConsentKind.PrescriptionProhibition: {
      const refs = targets.map((t) => t.prescriptionRef).filter((r): r is string => !!r);
      if (!refs.length || refs.length !== targets.length) fail('a prescription prohibition targets prescriptions only, at least one', 'targets');
      return { type: 'deny', ...period, data: refs.map((reference) => ({ meaning: 'instance' as const, reference: { reference } })) };
    }
    case ConsentKind.WellnessApp:
      if (!c.app) fail('a wellness-app authorisation names the app', 'app');
      return {
        type: 'permit',
        ...period,
        actor: [{
          role: { coding: [{ system: FhirSystem.V3ParticipationType, code: ConsentActorRole.Recipient }] },
          reference: { type: 'Device', identifier: { system: LocalSystemMore.AppClientId, value: c.app.clientId }, display: c.app.name },
        }],
        class: [{ system: RESOURCE_TYPES, code: 'Observation' }],
      };
    case ConsentKind.OrganDonationWill:
      return { type: c.decision ?? 'permit', ...period };
    default:
      return { type: 'permit', ...period };
  }
}

export function toConsent(c: ConsentInput): Consent {
  if (c.kind === ConsentKind.LivingWill && !c.text) fail('a living will carries its text', 'text');
  const scope = translate(conceptMaps.consentKindToScope, LocalSystem.ConsentKind, c.kind);
  if (!scope) fail(`unknown consent kind '${c.kind}'`, 'kind');
  return {
    resourceType: 'Consent',
    ...(c.id ? { id: c.id } : {}),
    meta: { profile: [profileUrl(`kanta-consent-${c.kind}`)] },
    status: c.status ?? 'active',
    scope: { coding: [{ system: FhirSystem.ConsentScope, code: scope }] },
    category: [{ coding: [{ system: LocalSystem.ConsentKind, code: c.kind, display: displayOf('consent-kind', c.kind) }] }],
    patient: { reference: c.patientRef },
    dateTime: c.dateTime,
    performer: [{ reference: c.performerRef }],
    ...(c.text ? { sourceAttachment: { contentType: 'text/plain; charset=utf-8', title: 'Hoitotahto', data: Buffer.from(c.text, 'utf8').toString('base64') } } : {}),
    policy: [{ uri: ClientDataActUri }],
    provision: provisionFor(c),
  };
}
