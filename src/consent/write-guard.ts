// Who may create, change and delete what (C3-C6, P1, A3): checked before every write through the guarded store. https://hl7.org/fhir/R4/http.html#create
import { OperationOutcomeError } from '@medplum/core';
import type { Consent, ConsentProvision, Patient, Reference, RelatedPerson, Resource } from '@medplum/fhirtypes';
import { isArchiveOperator, type RequestContext } from '../context.js';
import { ConsentKind, type ConsentKindCode, LocalSystem, Oid, RegisterKind } from '../kanta/codes.js';
import type { CompiledConsents } from './consent-compiler.js';
import { consentKind } from './consent-compiler.js';
import { ADULT_AGE, ageOn, finnishDate, stripOid } from './kanta-rules.js';
import { forbiddenOutcome, type Texts, WriteRefusal } from './messages.js';
import type { PolicyFacts } from './access-policy.js';
import { contentLinksOf } from './record-links.js';
import { isRecordType } from './record-types.js';
import type { WellnessPort } from './wellness-port.js';

export type WriteOperation = 'create' | 'update' | 'delete';

/** How far a Consent's stated dateTime may be from the server clock (client clocks drift; D10 needs the day right). */
const CONSENT_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Checks one write. `resource` is the new content (absent for delete), `existing` the stored current version
 * (absent for create). Returns the resource to store (the guard may add marks), or throws a 403 OperationOutcomeError.
 */
export type WriteGuard = (op: WriteOperation, resource: Resource | undefined, existing: Resource | undefined) => Promise<Resource | undefined>;

export interface WriteFacts extends PolicyFacts {
  /** Guardian only: ids of the RelatedPerson resources that are this caller for this child (who gave a consent). */
  callerRelatedPersons?: string[];
}

type AnyRecord = Resource & {
  patient?: { reference?: string };
  subject?: { reference?: string };
  for?: { reference?: string };
  focus?: { reference?: string };
};

const patientRef = (r: Resource): string | undefined => {
  const a = r as AnyRecord;
  return a.patient?.reference ?? a.subject?.reference ?? a.for?.reference;
};
const securityCode = (r: Resource, system: string): string | undefined => r.meta?.security?.find((s) => s.system === system)?.code;

const PermissionKindsSet: ReadonlySet<string> = new Set([
  ConsentKind.PermissionHealth,
  ConsentKind.PermissionSocial,
  ConsentKind.PermissionHealthToSocial,
  ConsentKind.PermissionSocialToHealth,
]);

/** The kinds whose deny provisions are prohibitions by design; professionals are never shown them (access-policy.ts). */
const ProhibitionKindsSet: ReadonlySet<string> = new Set([ConsentKind.Prohibition, ConsentKind.PrescriptionProhibition]);

/**
 * D11: the compiler enforces a deny nested in a permission as a prohibition, but professionals read every kind except
 * the prohibition kinds, so such a deny would show them the ids it withholds. A deny below the root is refused in every
 * non-prohibition kind (none of them needs one), and below the root a missing type counts as deny, as the compiler
 * reads it. The root itself may say "no" (a negative permission, a refused organ donation), which the compiler never
 * indexes as a prohibition, as long as it names no records. Malformed shapes are left to validation.
 */
function hidesProhibition(consent: Consent): boolean {
  const kind = consentKind(consent);
  if (kind && ProhibitionKindsSet.has(kind)) return false;
  const root = consent.provision as unknown;
  if (!root || typeof root !== 'object') return false;
  const rootType = (root as ConsentProvision).type ?? (kind === ConsentKind.Informing ? 'permit' : 'deny');
  if (rootType !== 'permit' && Array.isArray((root as ConsentProvision).data) && ((root as ConsentProvision).data?.length ?? 0) > 0) return true;
  const below = (p: unknown): boolean => {
    const children = p && typeof p === 'object' ? (p as ConsentProvision).provision : undefined;
    if (!Array.isArray(children)) return false;
    return children.some((c) => !!c && typeof c === 'object' && ((c as ConsentProvision).type !== 'permit' || below(c)));
  };
  return below(root);
}

/** The Suomi.fi mandate a proxy needs for each consent kind (C4); kinds absent here are never a proxy's. */
const ProxyMandateFor: Partial<Record<ConsentKindCode, 'health' | 'social' | 'any'>> = {
  [ConsentKind.Informing]: 'any',
  [ConsentKind.PermissionHealth]: 'health',
  [ConsentKind.PermissionSocial]: 'social',
  [ConsentKind.PermissionHealthToSocial]: 'health',
  [ConsentKind.PermissionSocialToHealth]: 'social',
  [ConsentKind.EuEPrescription]: 'health',
};

export function createWriteGuard(ctx: RequestContext, compiled: CompiledConsents | undefined, facts: WriteFacts, apps?: WellnessPort): WriteGuard {
  const p = ctx.principal;
  const P = p.patient;
  const refuse = (rule: string, texts: Texts): never => {
    throw new OperationOutcomeError(forbiddenOutcome(rule, texts, ctx.language));
  };
  const ownPatient = (r: Resource): boolean => !!P && patientRef(r) === `Patient/${P}`;
  const minor = !!facts.patientBirthDate && ageOn(facts.patientBirthDate, finnishDate(ctx.now)) < ADULT_AGE;

  // A professional gives no consent of the patient's (they record the patient's own), so nothing counts as given by them.
  const givenByCaller = (c: Consent): boolean =>
    p.kind !== 'professional' &&
    (c.performer ?? []).some(
      (ref) =>
        ref.identifier?.value === p.subject ||
        (!!ref.reference && ref.reference.startsWith('RelatedPerson/') && (facts.callerRelatedPersons ?? []).includes(ref.reference.slice(14)))
    );

  function checkConsentKind(op: WriteOperation, kind: ConsentKindCode | undefined, isNew: boolean, existing: Consent | undefined): void {
    if (!kind) refuse('C6', WriteRefusal.CitizenOwnOnly);
    if (p.kind === 'citizen') {
      if (minor && kind !== ConsentKind.WellnessApp) refuse('C5', WriteRefusal.MinorConsent);
      return;
    }
    if (p.kind === 'guardian') {
      if (kind === ConsentKind.Informing) {
        if (op !== 'create' || (compiled?.informed.length ?? 0) > 0) refuse('C3', WriteRefusal.GuardianInforming);
        return;
      }
      if (!PermissionKindsSet.has(kind as string)) refuse('C3', WriteRefusal.GuardianConsent);
      if (!isNew && existing && !givenByCaller(existing)) refuse('C3', WriteRefusal.GuardianRevokeOwnOnly);
      return;
    }
    if (p.kind === 'proxy') {
      const need = ProxyMandateFor[kind as ConsentKindCode];
      if (!need) refuse('C4', WriteRefusal.ProxyConsent);
      const mandates = p.mandates ?? [];
      if (need === 'any' ? mandates.length === 0 : !mandates.includes(need as 'health' | 'social')) refuse('C4', WriteRefusal.ProxyMandate);
      return;
    }
  }

  /**
   * The giver of a consent the caller writes: the own Patient, the guardian's RelatedPerson, the proxy's HETU; for a
   * professional the patient, whose consent they record in health care (seed 003), never the professional.
   */
  function callerAsPerformer(): Reference<Patient | RelatedPerson> {
    if (p.kind === 'citizen' || p.kind === 'professional') return { reference: `Patient/${P}` };
    const related = facts.callerRelatedPersons?.[0];
    if (p.kind === 'guardian' && related) return { reference: `RelatedPerson/${related}` };
    return { identifier: { system: Oid.Hetu, value: p.subject } };
  }

  /**
   * Seed 003: "huoltaja voi perua vain itse antamansa luovutusluvan (ei alaikäisen itsensä tai toisen huoltajan
   * antamaa)": who gave a consent and when must be facts, so they come from the verified token and the server clock.
   * A body may repeat them (or the stored ones, unchanged); one naming anyone else, or another time, is refused.
   */
  function stampConsent(rule: string, consent: Consent, existing: Consent | undefined): Consent {
    const me = callerAsPerformer();
    const same = (a: Reference, b: Reference): boolean =>
      (!!a.reference && a.reference === b.reference) || (!!a.identifier?.value && a.identifier.value === b.identifier?.value && a.identifier.system === b.identifier?.system);
    const stored = Array.isArray(existing?.performer) ? existing.performer : [];
    // Malformed shapes are left to validation, which runs on what this returns.
    for (const ref of Array.isArray(consent.performer) ? consent.performer : []) {
      if (!ref || typeof ref !== 'object') continue;
      if (!same(ref, me) && !givenByCaller({ resourceType: 'Consent', performer: [ref] } as unknown as Consent) && !stored.some((s) => same(ref, s))) {
        refuse(rule, p.kind === 'professional' ? WriteRefusal.PerformerNotPatient : WriteRefusal.PerformerNotCaller);
      }
    }
    const now = ctx.now.getTime();
    if (typeof consent.dateTime === 'string' && consent.dateTime !== existing?.dateTime) {
      const at = Date.parse(consent.dateTime);
      if (Number.isNaN(at) || Math.abs(at - now) > CONSENT_CLOCK_SKEW_MS) refuse(rule, WriteRefusal.DateTimeNotNow);
    }
    return { ...consent, performer: [me], dateTime: ctx.now.toISOString() };
  }

  async function personWrite(op: WriteOperation, resource: Resource | undefined, existing: Resource | undefined): Promise<Resource | undefined> {
    const items = [resource, existing].filter((r): r is Resource => !!r);
    const type = items[0].resourceType;
    if (items.some((r) => r.resourceType !== type || !ownPatient(r))) refuse('C6', WriteRefusal.CitizenOwnOnly);
    if (p.kind === 'guardian' && (!facts.guardianVerified || !minor)) refuse('C3', WriteRefusal.GuardianConsent);
    if (type === 'Consent') {
      if (resource) checkConsentKind(op, consentKind(resource as Consent), true, undefined);
      if (existing) checkConsentKind(op, consentKind(existing as Consent), false, existing as Consent);
      if (apps && resource && consentKind(resource as Consent) === ConsentKind.WellnessApp) apps.checkAuthorisation(resource as Consent, ctx.language);
      const rule = p.kind === 'guardian' ? 'C3' : p.kind === 'proxy' ? 'C4' : 'C6';
      return resource && stampConsent(rule, resource as Consent, existing as Consent | undefined);
    }
    if (type === 'Task') {
      // Prescription renewal request (uusimispyyntö): about the own patient, focused on a prescription.
      if (items.some((r) => !(r as AnyRecord).focus?.reference?.startsWith('MedicationRequest/'))) refuse('C6', WriteRefusal.CitizenOwnOnly);
      if (p.kind === 'proxy' && !(p.mandates ?? []).includes('health')) refuse('C4', WriteRefusal.ProxyMandate);
      return resource;
    }
    if (type === 'Observation') {
      if (p.kind === 'proxy') refuse('C4', WriteRefusal.ProxyConsent);
      if (p.kind !== 'citizen') refuse('C6', WriteRefusal.CitizenOwnOnly);
      if (existing && securityCode(existing, LocalSystem.RegisterKind) !== RegisterKind.PersonalDataStore) refuse('C6', WriteRefusal.CitizenOwnOnly);
      const prepared = resource && apps ? apps.prepareObservation(resource, { existing }, ctx.language) : resource;
      return prepared && markAsWellness(prepared);
    }
    return refuse('C6', WriteRefusal.CitizenOwnOnly);
  }

  return async (op, resource, existing) => {
    const items = [resource, existing].filter((r): r is Resource => !!r);
    if (items.length === 0) return resource;
    if (items.some((r) => r.resourceType === 'AuditEvent')) refuse('A3', WriteRefusal.AuditAppendOnly);
    // A Binary is disclosed with the record that links to it (record-links.ts): a link added by anyone but the writer of
    // the content would disclose another record's content under the linking record's own rules.
    if (resource && !isArchiveOperator(p)) {
      const before = new Set(existing ? contentLinksOf(existing) : []);
      if (contentLinksOf(resource).some((url) => !before.has(url))) refuse('D11', WriteRefusal.ContentLinkOperatorOnly);
      if (resource.resourceType === 'Consent' && hidesProhibition(resource as Consent)) refuse('D11', WriteRefusal.DenyOutsideProhibition);
    }
    switch (p.kind) {
      case 'professional': {
        const org = p.organization ? stripOid(p.organization) : undefined;
        for (const r of items) {
          if (r.resourceType === 'Consent' && ownPatient(r)) continue;
          const ok = !!org && isRecordType(r.resourceType) && ownPatient(r) && securityCode(r, LocalSystem.RegisterHolder) === org;
          if (!ok || securityCode(r, LocalSystem.RegisterKind) === RegisterKind.PersonalDataStore) refuse('D1', WriteRefusal.ProfessionalOwnRegister);
        }
        // Seed 003: "luovutusluvan ja kiellon voi tallentaa tai muuttaa terveydenhuollossa", so a professional records
        // the patient's consent; what is recorded are facts: the giver is the patient and the time the server clock
        // (D10 turns on it). A body may repeat the stored giver and time but not name others, also on update.
        if (resource?.resourceType === 'Consent') return stampConsent('C6', resource as Consent, existing as Consent | undefined);
        return resource;
      }
      case 'citizen':
      case 'guardian':
      case 'proxy':
        return personWrite(op, resource, existing);
      case 'app': {
        const authorised = !!p.clientId && !!compiled?.wellnessApps.get(p.clientId)?.length;
        if (!authorised) refuse('P1', WriteRefusal.AppNotAuthorised);
        if (apps && !apps.codesOf(p.clientId as string)) refuse('P1', WriteRefusal.AppNotRegistered);
        for (const r of items) {
          if (r.resourceType !== 'Observation' || !ownPatient(r)) refuse('P1', WriteRefusal.AppNotAuthorised);
        }
        if (existing && securityCode(existing, LocalSystem.RegisterKind) !== RegisterKind.PersonalDataStore) refuse('P1', WriteRefusal.AppNotAuthorised);
        // Kanta PHR: only the source of a measurement (or the citizen) changes or deletes it.
        if (apps && existing && apps.writerOf(existing) !== p.clientId) refuse('P1', WriteRefusal.AppNotSource);
        const prepared = resource && apps ? apps.prepareObservation(resource, { clientId: p.clientId, existing }, ctx.language) : resource;
        return prepared && markAsWellness(prepared);
      }
      case 'system':
        // The archive operator's back-end (no organisation) writes imported records; see access-policy.ts.
        if (isArchiveOperator(p)) return resource;
        return refuse('C6', WriteRefusal.NotAllowed);
      default:
        return refuse('C6', WriteRefusal.NotAllowed);
    }
  };
}

/** P2: wellness data always carries the personal-data-store register kind, so no care rule can ever disclose it. */
function markAsWellness(r: Resource): Resource {
  const security = (r.meta?.security ?? []).filter((s) => s.system !== LocalSystem.RegisterKind && s.system !== LocalSystem.RegisterHolder);
  security.push({ system: LocalSystem.RegisterKind, code: RegisterKind.PersonalDataStore });
  return { ...r, meta: { ...r.meta, security } } as Resource;
}
