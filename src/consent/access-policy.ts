// The disclosure policy (D1-D8, D10, C1-C5, P1-P2, A4) as search Conditions the store applies before paging. https://hl7.org/fhir/R4/search.html
import type { Condition, AccessPolicy } from '../store/resource-store.js';
import { isArchiveOperator, type RequestContext, type Sector } from '../context.js';
import { ConsentKind, type ConsentKindCode, DataOrigin, HealthRegisterKinds, LocalSystem, RegisterKind } from '../kanta/codes.js';
import type { CompiledConsents, Grant, PermissionKind, ProvisionRef } from './consent-compiler.js';
import { and, FALSE, not, or, param, security, TRUE } from './conditions.js';
import type { WellnessPort } from './wellness-port.js';
import { stripOid } from './kanta-rules.js';
import { clinicalDateParam, isDirectoryType, isPrescriptionType, isRecordType } from './record-types.js';
import { concernsPrescription, ContentLinks, linkedToEvent, referencedByVisible } from './record-links.js';
import { consentKinds, holder, isPds, isSocial, kindsOf, ofPatient } from './policy-terms.js';
import { personBranches } from './person-policy.js';

/** Rule IDs of the SPEC; `directory` marks non-personal reference data. */
export type RuleId = 'D1' | 'D2' | 'D5' | 'D6' | 'D7' | 'D8' | 'D9' | 'C1' | 'C2' | 'C3' | 'C4' | 'C5' | 'C6' | 'P1' | 'A4' | 'directory' | 'operator';

/** One way a resource of a type can be visible; a type's condition is the OR of its branches. */
export interface PolicyBranch {
  rules: RuleId[];
  cond: Condition;
  /** Consent provisions this branch relies on (permissions, informing, app authorisations). */
  provisions: ProvisionRef[];
}

export interface ConsentAccessPolicy extends AccessPolicy {
  branches(resourceType: string): PolicyBranch[];
  /** A type this caller's role may never ask for at all (403 rather than an empty answer). */
  refusal(resourceType: string): { rule: RuleId; reason: 'auditLog' } | undefined;
}

/** Facts about organisations and persons the policy needs, loaded per request with the raw store. */
export interface PolicyFacts {
  /** The caller's organisation is a public health-care provider (D7). */
  callerOrgPublicHealth: boolean;
  /** Region code of the caller's organisation (LocalSystem.Region). */
  callerOrgRegion?: string;
  /** Päävastuullinen flags of the caller's unit (D5); absent = false. */
  unitMainResponsibleSocial: boolean;
  unitMainResponsibleHealth: boolean;
  /** OIDs of public health-care register holders in Uusimaa (D7); loaded only when D7 can apply. */
  uusimaaPublicHolders: string[];
  /** Birth date of the patient the caller acts for (C3, C5). */
  patientBirthDate?: string;
  /** Guardian only: a current RelatedPerson GUARD links the caller to the child. */
  guardianVerified: boolean;
  /** Proxy only: the Suomi.fi mandates a current RelatedPerson (POWATT) of the principal records for the caller. */
  proxyMandates?: Array<'health' | 'social'>;
  /** Citizen only: the Patient of the `patient` claim carries the token subject's HETU. */
  patientIsSubject?: boolean;
  /** Professional only: the `unit` claim's unit belongs to the `organization` claim's organisation in the registry. */
  unitOfOrganization?: boolean;
}

const otherSector = (s: Sector): Sector => (s === 'health' ? 'social' : 'health');
const crossKind = (receiver: Sector): PermissionKind =>
  receiver === 'social' ? ConsentKind.PermissionHealthToSocial : ConsentKind.PermissionSocialToHealth;
const sameKind = (s: Sector): PermissionKind => (s === 'health' ? ConsentKind.PermissionHealth : ConsentKind.PermissionSocial);

/** The record belongs to a social-care service task with one of `keys` (EpisodeOfCare.type), directly or through its visit. */
function serviceTaskCond(t: string, keys: string[]): Condition {
  return linkedToEvent(t, { encounter: FALSE, episode: param('type', keys) });
}

function dataPeriodCond(t: string, start?: string, end?: string): Condition {
  const dp = clinicalDateParam(t);
  if (!dp) return FALSE;
  return and(start ? param(dp, [`ge${start}`]) : TRUE, end ? param(dp, [`le${end}`]) : TRUE);
}

/**
 * Every active prohibition that matches a record of type `t` (D3, D6): a register holder, a service event and
 * everything linked to it, a service task, a single record, and prescriptions with their dispensings and renewal
 * requests. One condition that every disclosure basis is ANDed with; only the holder's own access (D1) ignores it.
 */
export function prohibitedCond(t: string, c: CompiledConsents): Condition {
  const idx = c.prohibitions;
  if (idx.everything.length) return TRUE;
  const events = [...idx.byEvent.keys()];
  const ids = (type: string, refs: string[]): string[] => refs.filter((r) => r.startsWith(`${type}/`)).map((r) => r.slice(type.length + 1));
  const instances = ids(t, [...idx.byInstance.keys()]);
  const pp = c.prescriptionProhibitions;
  const prescriptions = pp.everything.length ? TRUE : param('_id', [...pp.byPrescription.keys()]);
  return or(
    holder([...idx.byHolder.keys()]),
    linkedToEvent(t, { encounter: param('_id', ids('Encounter', events)), episode: or(param('_id', ids('EpisodeOfCare', events)), param('type', [...idx.byServiceTask.keys()])) }),
    param('_id', instances),
    // DocumentReference.identifier covers masterIdentifier: the versions of a prohibited document share its set.
    t === 'DocumentReference' ? param('identifier', [...idx.byDocumentSet.keys()]) : FALSE,
    concernsPrescription(t, prescriptions)
  );
}

function grantCond(t: string, g: Grant, org: string, unit: string | undefined): Condition {
  if (g.recipients && !g.recipients.includes(org) && !(unit && g.recipients.includes(unit))) return FALSE;
  const classes =
    g.resourceTypes || g.documentClasses
      ? or(
          g.resourceTypes?.includes(t) ? TRUE : FALSE,
          t === 'DocumentReference' && g.documentClasses?.length ? or(param('category', g.documentClasses), param('type', g.documentClasses)) : FALSE
        )
      : TRUE;
  return and(
    g.kantaOnly ? security(LocalSystem.DataOrigin, [DataOrigin.Kanta]) : TRUE,
    g.custodians ? holder(g.custodians) : TRUE,
    classes,
    g.serviceTasks ? serviceTaskCond(t, g.serviceTasks) : TRUE,
    g.dataPeriod ? dataPeriodCond(t, g.dataPeriod.start, g.dataPeriod.end) : TRUE
  );
}

/** Grants a receiver can use at all (recipient targeting is known before any record is seen). */
function usableGrants(grants: Grant[], org: string, unit: string | undefined): Grant[] {
  return grants.filter((g) => !g.recipients || g.recipients.includes(org) || (!!unit && g.recipients.includes(unit)));
}

/**
 * The bases on which another register's record of the patient may be disclosed (D2, D5, D6, D7, D8), each
 * without prohibitions: the caller ANDs every one of them with the same "no matching prohibition" condition.
 */
function disclosureBases(t: string, ctx: RequestContext, c: CompiledConsents, f: PolicyFacts, org: string, unit: string | undefined, sector: Sector, mine: Condition): PolicyBranch[] {
  const p = ctx.principal;
  const pharmacy = !!p.pharmacy;
  const informed = c.informed.length > 0;
  const out: PolicyBranch[] = [];
  // D2: same sector, other register: informing + permission of that sector (D4: a permission never crosses sectors).
  if (!pharmacy && informed) {
    const perm = c.permissions[sameKind(sector)];
    const grants = perm.negative.length ? [] : usableGrants(perm.grants, org, unit);
    if (grants.length)
      out.push({
        rules: ['D2'],
        cond: and(mine, security(LocalSystem.RegisterKind, kindsOf(sector)), or(...grants.map((g) => grantCond(t, g, org, unit)))),
        provisions: [...c.informed, ...grants.map((g) => g.ref)],
      });
  }
  // D5: cross-sector, by the permission of that direction, only to a päävastuullinen unit of the receiving sector.
  if (!pharmacy && informed) {
    const flag = sector === 'social' ? f.unitMainResponsibleSocial : f.unitMainResponsibleHealth;
    const perm = c.permissions[crossKind(sector)];
    const grants = perm.negative.length ? [] : usableGrants(perm.grants, org, unit);
    if (flag && grants.length)
      out.push({
        rules: ['D5'],
        cond: and(mine, security(LocalSystem.RegisterKind, kindsOf(otherSector(sector))), or(...grants.map((g) => grantCond(t, g, org, unit)))),
        provisions: [...c.informed, ...grants.map((g) => g.ref)],
      });
  }
  // D6: prescriptions in care and at pharmacies without a permission, with their dispensings and renewal requests
  // (seed 003 groups "reseptit, lääkeostot ja reseptien luovutustiedot"; a renewal request is about its prescription).
  if ((sector === 'health' || pharmacy) && (isPrescriptionType(t) || t === 'Task')) {
    const prescriptionData = t === 'Task' ? concernsPrescription(t, TRUE) : TRUE;
    out.push({ rules: ['D6'], cond: and(mine, security(LocalSystem.RegisterKind, HealthRegisterKinds), prescriptionData), provisions: [] });
  }
  // D7: Uusimaa public health care uses each other's registers once informed.
  if (sector === 'health' && !pharmacy && informed && f.callerOrgPublicHealth && f.callerOrgRegion === 'uusimaa' && f.uusimaaPublicHolders.length) {
    out.push({
      rules: ['D7'],
      cond: and(mine, security(LocalSystem.RegisterKind, [RegisterKind.PublicHealth]), holder(f.uusimaaPublicHolders)),
      provisions: [...c.informed],
    });
  }
  // D8: a social-care authority stating its statutory basis gets social-care data without a permission.
  if (sector === 'social' && !pharmacy && p.legalBasis?.trim()) {
    out.push({ rules: ['D8'], cond: and(mine, isSocial()), provisions: [] });
  }
  return out;
}

function professionalBranches(t: string, ctx: RequestContext, c: CompiledConsents | undefined, f: PolicyFacts): PolicyBranch[] {
  const p = ctx.principal;
  const org = p.organization ? stripOid(p.organization) : undefined;
  const unit = p.unit ? stripOid(p.unit) : undefined;
  const P = p.patient;
  if (isDirectoryType(t)) return [{ rules: ['directory'], cond: TRUE, provisions: [] }];
  // D9: the justified connection is to the patient the token names; nothing of anyone else, own register or not.
  if (!org || !P) return [];
  if (t === 'Patient') return [{ rules: ['D9'], cond: param('_id', [P]), provisions: [] }];
  if (t === 'RelatedPerson') return [{ rules: ['D9'], cond: ofPatient(P), provisions: [] }];
  if (t === 'Consent') {
    // Prohibitions are not shown: their targets would betray withheld records (D11).
    const shown: ConsentKindCode[] = [
      ConsentKind.Informing,
      ConsentKind.PermissionHealth,
      ConsentKind.PermissionSocial,
      ConsentKind.PermissionHealthToSocial,
      ConsentKind.PermissionSocialToHealth,
      ConsentKind.LivingWill,
      ConsentKind.OrganDonationWill,
      ConsentKind.EuEPrescription,
    ];
    return [{ rules: ['D9'], cond: and(ofPatient(P), consentKinds(shown)), provisions: [] }];
  }
  const sector = p.sector;
  if (!isRecordType(t) || !sector) return [];
  const mine = and(not(isPds()), ofPatient(P));
  // D1: the own register, within the caller's sector only (seed 000: a county's health care uses its patient
  // register, its social care its client register); crossing sectors needs D5 or D8 even inside one organisation.
  const out: PolicyBranch[] = [{ rules: ['D1'], cond: and(mine, holder([org]), security(LocalSystem.RegisterKind, kindsOf(sector))), provisions: [] }];
  if (!c) return out;
  const free = not(prohibitedCond(t, c));
  return [...out, ...disclosureBases(t, ctx, c, f, org, unit, sector, mine).map((b) => ({ ...b, cond: and(b.cond, free) }))];
}

function appBranches(t: string, ctx: RequestContext, c: CompiledConsents | undefined, apps: WellnessPort | undefined): PolicyBranch[] {
  const p = ctx.principal;
  if (isDirectoryType(t)) return [{ rules: ['directory'], cond: TRUE, provisions: [] }];
  const auth = p.clientId && c ? c.wellnessApps.get(p.clientId) : undefined;
  if (!p.patient || !auth?.length) return [];
  // A registered app sees only the measurement kinds it is registered for; an unregistered client id sees nothing.
  const codes = apps && p.clientId ? apps.codesOf(p.clientId) : undefined;
  if (apps && !codes?.length) return [];
  if (t === 'Patient') return [{ rules: ['P1'], cond: param('_id', [p.patient]), provisions: auth }];
  if (t === 'Observation') return [{ rules: ['P1'], cond: and(ofPatient(p.patient), isPds(), codes ? param('code', codes) : TRUE), provisions: auth }];
  return [];
}

/**
 * Builds the request's access policy. `compiled` holds the active consents of the patient the caller acts for
 * (undefined when there is none); `apps` narrows app callers to their registered measurement kinds.
 * Deny by default: types and callers not modelled here see nothing.
 */
export function buildAccessPolicy(
  ctx: RequestContext,
  compiled: CompiledConsents | undefined,
  facts: PolicyFacts,
  apps?: WellnessPort,
  /** S1: the token's scopes let this type leave at all (read or search); absent = no scope limit. */
  readable: (resourceType: string) => boolean = () => true
): ConsentAccessPolicy {
  const branchCache = new Map<string, PolicyBranch[]>();
  const condCache = new Map<string, Condition>();
  const branches = (t: string): PolicyBranch[] => {
    let list = branchCache.get(t);
    if (!list && !readable(t)) {
      // A resource outside the token's scopes leaves by no route: includes, $everything and Bundle entries too.
      list = [];
      branchCache.set(t, list);
    }
    const link = ContentLinks[t];
    if (!list && link && !isArchiveOperator(ctx.principal)) {
      // Content (an archived CDA's Binary) is visible exactly when a record visible to this caller references it:
      // the holder's own branches, each moved behind the reverse link, so prohibitions and scopes reach it unchanged.
      list = branches(link.sourceType).map((b) => ({ ...b, cond: referencedByVisible(t, b.cond) })).filter((b) => b.cond.kind !== 'false');
      branchCache.set(t, list);
    }
    if (!list) {
      switch (ctx.principal.kind) {
        case 'professional':
          list = professionalBranches(t, ctx, compiled, facts);
          break;
        case 'citizen':
        case 'guardian':
        case 'proxy':
          list = personBranches(t, ctx, facts);
          break;
        case 'app':
          list = appBranches(t, ctx, compiled, apps);
          break;
        case 'system':
          // The archive operator's own back-end (import, administration) holds no organisation: it acts as the
          // register itself, sees everything and is audited like anyone. A system of an organisation gets directory data only.
          list = isArchiveOperator(ctx.principal) ? [{ rules: ['operator'], cond: TRUE, provisions: [] }] : isDirectoryType(t) ? [{ rules: ['directory'], cond: TRUE, provisions: [] }] : [];
          break;
        default:
          list = isDirectoryType(t) ? [{ rules: ['directory'], cond: TRUE, provisions: [] }] : [];
      }
      branchCache.set(t, list);
    }
    return list;
  };
  return {
    branches,
    refusal(t) {
      // A guardian's or proxy's log search is refused outright (A4: only the citizen, never through a proxy); the
      // answer depends on the caller's role alone, so it betrays nothing about the records.
      const k = ctx.principal.kind;
      if (t === 'AuditEvent' && (k === 'guardian' || k === 'proxy')) return { rule: k === 'guardian' ? 'C3' : 'C4', reason: 'auditLog' };
      return undefined;
    },
    forType(t) {
      let cond = condCache.get(t);
      if (!cond) {
        cond = or(...branches(t).map((b) => b.cond));
        condCache.set(t, cond);
      }
      return cond;
    },
  };
}
