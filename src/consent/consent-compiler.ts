// Compiles a patient's active Consent resources into an indexed disclosure decision structure. https://hl7.org/fhir/R4/consent.html
import type { CodeableConcept, Coding, Consent, ConsentProvision, Period, Reference } from '@medplum/fhirtypes';
import { ConsentActorRole, ConsentKind, type ConsentKindCode, LocalSystem } from '../kanta/codes.js';
import { parseReference } from '../search/params/reference.js';
import { BROAD_PERMISSION_FROM, finnishDayOf, stripOid } from './kanta-rules.js';

/** Where a decision came from: one provision of one Consent (for explanation and audit). */
export interface ProvisionRef {
  consent: string;
  path: string;
  type: 'permit' | 'deny';
  kind: ConsentKindCode;
}

/** One permitted slice of a permission: every criterion present must hold (R4: AND across, OR within). */
export interface Grant {
  ref: ProvisionRef;
  /** D10: given in 2023 or earlier, so only data stored in Kanta. */
  kantaOnly: boolean;
  /** Receiving organisations (actor role IRCP); undefined = any receiver. */
  recipients?: string[];
  /** Register holders whose data is covered (actor role CST); undefined = any holder. */
  custodians?: string[];
  /** FHIR resource types covered (class in http://hl7.org/fhir/resource-types). */
  resourceTypes?: string[];
  /** Other data classes: matched against DocumentReference category/type as `system|code`. */
  documentClasses?: string[];
  /** Social-care service tasks (`system|code` or bare code). */
  serviceTasks?: string[];
  dataPeriod?: Period;
}

export type PermissionKind =
  | typeof ConsentKind.PermissionHealth
  | typeof ConsentKind.PermissionSocial
  | typeof ConsentKind.PermissionHealthToSocial
  | typeof ConsentKind.PermissionSocialToHealth;
export const PermissionKinds: readonly PermissionKind[] = [
  ConsentKind.PermissionHealth,
  ConsentKind.PermissionSocial,
  ConsentKind.PermissionHealthToSocial,
  ConsentKind.PermissionSocialToHealth,
];

export interface PermissionState {
  /** Any active negative permission of this kind: deny wins, nothing is disclosed under it. */
  negative: ProvisionRef[];
  grants: Grant[];
}

/** Prohibitions indexed by what they target, so a record is checked only against provisions that can match it. */
export interface ProhibitionIndex {
  /** A deny with no target at all: everything is prohibited. */
  everything: ProvisionRef[];
  byHolder: Map<string, ProvisionRef[]>;
  /** Key `Encounter/id` or `EpisodeOfCare/id`. */
  byEvent: Map<string, ProvisionRef[]>;
  /** Key `system|code` (or bare code when the provision gives no system). */
  byServiceTask: Map<string, ProvisionRef[]>;
  /** Key `Type/id` of single documents and other instances. */
  byInstance: Map<string, ProvisionRef[]>;
  /**
   * Key: the version set (masterIdentifier token, `system|value`) of a DocumentReference a prohibition names, so every
   * version of that document is prohibited, also one archived later; filled from the store by consent-facts.ts.
   */
  byDocumentSet: Map<string, ProvisionRef[]>;
}

export interface PrescriptionProhibitions {
  everything: ProvisionRef[];
  /** Key MedicationRequest id. */
  byPrescription: Map<string, ProvisionRef[]>;
}

export interface CompiledConsents {
  patient: string;
  informed: ProvisionRef[];
  permissions: Record<PermissionKind, PermissionState>;
  prohibitions: ProhibitionIndex;
  prescriptionProhibitions: PrescriptionProhibitions;
  /** P1: wellness app client id -> the authorisations naming it. */
  wellnessApps: Map<string, ProvisionRef[]>;
  /** Every active Consent by id, for the write guard and explanations. */
  consents: Map<string, Consent>;
}

/** Resolves an Organization reference in a provision to its OID (the service pre-loads them). */
export type OrganizationResolver = (ref: Reference) => string | undefined;

export function consentKind(consent: Consent): ConsentKindCode | undefined {
  for (const cc of consent.category ?? []) {
    for (const c of cc.coding ?? []) {
      if (c.system === LocalSystem.ConsentKind && c.code) return c.code as ConsentKindCode;
    }
  }
  return undefined;
}

const inPeriod = (p: Period | undefined, now: string): boolean =>
  !p || ((!p.start || p.start <= now) && (!p.end || now <= p.end || now.slice(0, p.end.length) <= p.end));

/** The instant the citizen gave the consent (D10); unknown counts as old, which is the narrower reading. */
function givenAt(consent: Consent): string | undefined {
  return consent.dateTime ?? consent.provision?.period?.start;
}

/**
 * `Type/id` of a literal reference written in any form R4 allows for a stored resource: relative, absolute (a base
 * before it) or versioned (`/_history/n`); undefined for anything else (`#contained`, `urn:`). A consent targets the
 * resource, never one version of it, so a prohibition written either way must bind the same records.
 */
export function localReference(reference: string): string | undefined {
  // The same reading as reference search parameters and the index (src/search/params/reference.ts).
  const { type, id } = parseReference(reference);
  return type && id ? `${type}/${id}` : undefined;
}

function push<K>(map: Map<K, ProvisionRef[]>, key: K, ref: ProvisionRef): void {
  const list = map.get(key);
  if (list) list.push(ref);
  else map.set(key, [ref]);
}

const codingKey = (c: Coding): string | undefined => (c.code ? (c.system ? `${c.system}|${c.code}` : c.code) : undefined);
const conceptKeys = (ccs: CodeableConcept[] | undefined): string[] =>
  (ccs ?? []).flatMap((cc) => (cc.coding ?? []).map(codingKey)).filter((k): k is string => !!k);

/** An actor that names no organisation we know: it matches no register holder. */
const Unresolved = '\u0000unresolved';

function actorOids(p: ConsentProvision, role: string, resolveOrg: OrganizationResolver): string[] | undefined {
  const actors = (p.actor ?? []).filter((a) => (a.role?.coding ?? []).some((c) => c.code === role));
  if (actors.length === 0) return undefined;
  // An actor we cannot resolve still narrows the grant: it just matches no organisation (fail closed).
  return actors.map((a) => resolveOrg(a.reference) ?? Unresolved);
}

function grantOf(p: ConsentProvision, ref: ProvisionRef, kantaOnly: boolean, resolveOrg: OrganizationResolver): Grant {
  const grant: Grant = { ref, kantaOnly };
  const recipients = actorOids(p, ConsentActorRole.Recipient, resolveOrg);
  if (recipients) grant.recipients = recipients;
  const custodians = actorOids(p, ConsentActorRole.Custodian, resolveOrg);
  if (custodians) grant.custodians = custodians;
  if (p.class?.length) {
    grant.resourceTypes = p.class.filter((c) => c.system === 'http://hl7.org/fhir/resource-types' && c.code).map((c) => c.code as string);
    grant.documentClasses = p.class.filter((c) => c.system !== 'http://hl7.org/fhir/resource-types').map(codingKey).filter((k): k is string => !!k);
  }
  const tasks = conceptKeys(p.code);
  if (tasks.length) grant.serviceTasks = tasks;
  if (p.dataPeriod) grant.dataPeriod = p.dataPeriod;
  return grant;
}

function indexDeny(p: ConsentProvision, ref: ProvisionRef, idx: ProhibitionIndex, resolveOrg: OrganizationResolver): void {
  let targeted = false;
  // A target the compiler cannot read would bind nothing while the citizen believes it binds: the whole deny then
  // prohibits everything (fail closed), as a deny with no target does.
  let unreadable = false;
  for (const oid of actorOids(p, ConsentActorRole.Custodian, resolveOrg) ?? []) {
    if (oid === Unresolved) unreadable = true;
    else push(idx.byHolder, oid, ref);
    targeted = true;
  }
  for (const d of p.data ?? []) {
    const written = d.reference?.reference;
    if (!written) continue;
    targeted = true;
    const r = localReference(written);
    if (!r) {
      unreadable = true;
      continue;
    }
    const [type] = r.split('/');
    if (type === 'Encounter' || type === 'EpisodeOfCare') push(idx.byEvent, r, ref);
    else push(idx.byInstance, r, ref);
  }
  for (const key of conceptKeys(p.code)) {
    push(idx.byServiceTask, key, ref);
    targeted = true;
  }
  // Criteria we do not model (purpose, class, securityLabel) on a deny still deny: fail closed.
  if (!targeted || unreadable) idx.everything.push(ref);
}

const hasTarget = (p: ConsentProvision): boolean => !!(p.actor?.length || p.data?.length || p.code?.length);

/** The deny provisions of a prohibition: its nested denies, and the root when it is a targeted (or the only) deny. */
function denyProvisions(
  root: ConsentProvision,
  rootRef: ProvisionRef,
  nested: Array<{ p: ConsentProvision; ref: ProvisionRef }>
): Array<{ p: ConsentProvision; ref: ProvisionRef }> {
  const denies = nested.filter((n) => n.ref.type === 'deny');
  const withRoot = rootRef.type === 'deny' && (hasTarget(root) || denies.length === 0);
  return withRoot ? [{ p: root, ref: rootRef }, ...denies] : denies;
}

/**
 * Compiles `consents` (already filtered to the patient and status active) for decisions at `now`.
 * Deny always wins: negative permissions veto their kind, and any deny provision in any consent is a prohibition.
 */
export function compileConsents(patient: string, consents: Consent[], now: Date, resolveOrg: OrganizationResolver): CompiledConsents {
  const nowIso = now.toISOString();
  const out: CompiledConsents = {
    patient,
    informed: [],
    permissions: Object.fromEntries(PermissionKinds.map((k) => [k, { negative: [], grants: [] }])) as unknown as Record<PermissionKind, PermissionState>,
    prohibitions: { everything: [], byHolder: new Map(), byEvent: new Map(), byServiceTask: new Map(), byInstance: new Map(), byDocumentSet: new Map() },
    prescriptionProhibitions: { everything: [], byPrescription: new Map() },
    wellnessApps: new Map(),
    consents: new Map(),
  };
  for (const consent of consents) {
    if (consent.status !== 'active' || !consent.id) continue;
    if (consent.patient?.reference !== `Patient/${patient}`) continue;
    const kind = consentKind(consent);
    const root = consent.provision;
    if (!kind || !root || !inPeriod(root.period, nowIso)) continue;
    out.consents.set(consent.id, consent);
    const cref = `Consent/${consent.id}`;
    // R4 says the root has no type; we treat a missing root type as deny (fail closed) except for informing.
    const rootType = root.type ?? (kind === ConsentKind.Informing ? 'permit' : 'deny');
    const rootRef: ProvisionRef = { consent: cref, path: 'provision', type: rootType, kind };
    const nested = (root.provision ?? [])
      .map((p, i) => ({ p, ref: { consent: cref, path: `provision.provision[${i}]`, type: p.type ?? 'deny', kind } as ProvisionRef }))
      .filter(({ p }) => inPeriod(p.period, nowIso));

    switch (kind) {
      case ConsentKind.Informing:
        if (rootType === 'permit') out.informed.push(rootRef);
        break;
      case ConsentKind.PermissionHealth:
      case ConsentKind.PermissionSocial:
      case ConsentKind.PermissionHealthToSocial:
      case ConsentKind.PermissionSocialToHealth: {
        const state = out.permissions[kind];
        if (rootType === 'deny') {
          state.negative.push(rootRef);
          break;
        }
        const given = givenAt(consent);
        // D10's boundary is the turn of 2024 in Finland (seed 000: "Vuoden 2024 alusta alkaen").
        const day = given ? finnishDayOf(given) : undefined;
        const kantaOnly = !day || day < BROAD_PERMISSION_FROM;
        const permits = nested.filter((n) => n.ref.type === 'permit');
        if (permits.length === 0) state.grants.push(grantOf(root, rootRef, kantaOnly, resolveOrg));
        else for (const n of permits) state.grants.push(grantOf(n.p, n.ref, kantaOnly, resolveOrg));
        for (const n of nested) if (n.ref.type === 'deny') indexDeny(n.p, n.ref, out.prohibitions, resolveOrg);
        break;
      }
      case ConsentKind.Prohibition: {
        for (const { p, ref } of denyProvisions(root, rootRef, nested)) indexDeny(p, ref, out.prohibitions, resolveOrg);
        break;
      }
      case ConsentKind.PrescriptionProhibition: {
        for (const { p, ref } of denyProvisions(root, rootRef, nested)) {
          const written = (p.data ?? []).map((d) => d.reference?.reference).filter((r): r is string => !!r);
          const ids = written.map(localReference).filter((r): r is string => !!r && r.startsWith('MedicationRequest/'));
          // A target that is not a readable prescription reference binds every prescription (fail closed), as none does.
          if (ids.length && ids.length === written.length) for (const r of ids) push(out.prescriptionProhibitions.byPrescription, r.slice('MedicationRequest/'.length), ref);
          else out.prescriptionProhibitions.everything.push(ref);
        }
        break;
      }
      case ConsentKind.WellnessApp: {
        if (rootType !== 'permit') break;
        for (const a of root.actor ?? []) {
          const id = a.reference?.identifier?.value ?? (a.reference?.reference?.startsWith('Device/') ? a.reference.reference.slice(7) : undefined);
          if (id) push(out.wellnessApps, id, rootRef);
        }
        break;
      }
      default:
        // Wills and EU consent do not change disclosure; they are only stored and shown.
        break;
    }
  }
  return out;
}

/** Resolves an organisation reference without I/O when it already carries the OID. */
export function oidFromReference(ref: Reference | undefined, byReference: ReadonlyMap<string, string>): string | undefined {
  if (!ref) return undefined;
  if (ref.identifier?.value) return stripOid(ref.identifier.value);
  const local = ref.reference && localReference(ref.reference);
  if (local) return byReference.get(local) ?? (/^Organization\/[0-9.]+$/.test(local) ? local.slice(13) : undefined);
  return undefined;
}
