// The disclosure policy (D1-D8, D10, C1-C5, P1-P2, A4) as search Conditions the store applies before paging. https://hl7.org/fhir/R4/search.html
import type { Condition, AccessPolicy } from '../store/resource-store.js';
import { isArchiveOperator, type RequestContext, type Sector } from '../context.js';
import {
  ConsentKind,
  type ConsentKindCode,
  DataOrigin,
  DocumentMark,
  HealthRegisterKinds,
  LocalSystem,
  Oid,
  RegisterKind,
  SocialRegisterKinds,
} from '../kanta/codes.js';
import type { CompiledConsents, Grant, PermissionKind, ProvisionRef } from './consent-compiler.js';
import { and, chain, FALSE, not, or, param, security, TRUE } from './conditions.js';
import type { WellnessPort } from './wellness-port.js';
import {
  ADULT_AGE,
  addYears,
  ageOn,
  CitizenHiddenSocialKinds,
  finnishDate,
  GUARDIAN_FULL_VIEW_UNDER_AGE,
  GUARDIAN_VIEW_FROM,
  GuardianAllowedCodes,
  GuardianRestrictedCodes,
  SocialKindSystem,
  stripOid,
} from './kanta-rules.js';
import {
  clinicalDateParam,
  invalidationParam,
  isDirectoryType,
  isEncounterLinked,
  isPrescriptionType,
  isRecordType,
} from './record-types.js';

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
}

/** Sectors of register kinds; the personal data store is no care sector (P2). */
const kindsOf = (s: Sector): readonly string[] => (s === 'health' ? HealthRegisterKinds : SocialRegisterKinds);
const otherSector = (s: Sector): Sector => (s === 'health' ? 'social' : 'health');
const crossKind = (receiver: Sector): PermissionKind =>
  receiver === 'social' ? ConsentKind.PermissionHealthToSocial : ConsentKind.PermissionSocialToHealth;
const sameKind = (s: Sector): PermissionKind => (s === 'health' ? ConsentKind.PermissionHealth : ConsentKind.PermissionSocial);

const RestrictionParentTypes: readonly string[] = ['DocumentReference', 'Encounter', 'EpisodeOfCare'];

const isSocial = (): Condition => security(LocalSystem.RegisterKind, SocialRegisterKinds);
const isPds = (): Condition => security(LocalSystem.RegisterKind, [RegisterKind.PersonalDataStore]);
const holder = (oids: readonly string[]): Condition => security(LocalSystem.RegisterHolder, oids);
const ofPatient = (p: string): Condition => param('patient', [`Patient/${p}`]);
const consentKinds = (kinds: readonly ConsentKindCode[]): Condition =>
  param(
    'category',
    kinds.map((k) => `${LocalSystem.ConsentKind}|${k}`)
  );

function encounterTargets(t: string): string[] {
  return t === 'DocumentReference' ? ['Encounter', 'EpisodeOfCare'] : ['Encounter'];
}

/** The record belongs to a social-care service task with one of `keys` (EpisodeOfCare.type). */
function serviceTaskCond(t: string, keys: string[]): Condition {
  const typeLeaf = param('type', keys);
  if (t === 'EpisodeOfCare') return typeLeaf;
  if (t === 'Encounter') return chain('episode-of-care', 'EpisodeOfCare', typeLeaf);
  if (!isEncounterLinked(t)) return FALSE;
  return or(
    t === 'DocumentReference' ? chain('encounter', 'EpisodeOfCare', typeLeaf) : FALSE,
    chain('encounter', 'Encounter', chain('episode-of-care', 'EpisodeOfCare', typeLeaf))
  );
}

/** The record is, or hangs off, one of the service events `refs` (`Encounter/x`, `EpisodeOfCare/y`). */
function serviceEventCond(t: string, refs: string[]): Condition {
  const ids = (type: string): string[] => refs.filter((r) => r.startsWith(`${type}/`)).map((r) => r.slice(type.length + 1));
  const episodes = refs.filter((r) => r.startsWith('EpisodeOfCare/'));
  if (t === 'Encounter') return or(param('_id', ids('Encounter')), param('episode-of-care', episodes));
  if (t === 'EpisodeOfCare') return param('_id', ids('EpisodeOfCare'));
  if (!isEncounterLinked(t)) return FALSE;
  const targets = encounterTargets(t);
  return or(
    param(
      'encounter',
      refs.filter((r) => targets.includes(r.split('/')[0]))
    ),
    chain('encounter', 'Encounter', param('episode-of-care', episodes))
  );
}

function dataPeriodCond(t: string, start?: string, end?: string): Condition {
  const dp = clinicalDateParam(t);
  if (!dp) return FALSE;
  return and(start ? param(dp, [`ge${start}`]) : TRUE, end ? param(dp, [`le${end}`]) : TRUE);
}

/** Prohibitions of `compiled` that bind a record of type `t` (D3); the index keeps this to provisions that can match. */
function prohibitedCond(t: string, c: CompiledConsents): Condition {
  const idx = c.prohibitions;
  if (idx.everything.length) return TRUE;
  const instances = [...idx.byInstance.keys()].filter((r) => r.startsWith(`${t}/`)).map((r) => r.slice(t.length + 1));
  return or(
    holder([...idx.byHolder.keys()]),
    idx.byEvent.size ? serviceEventCond(t, [...idx.byEvent.keys()]) : FALSE,
    idx.byServiceTask.size ? serviceTaskCond(t, [...idx.byServiceTask.keys()]) : FALSE,
    param('_id', instances)
  );
}

/** D6: prescription prohibitions keep the prohibited prescriptions (and their dispensings) from other providers. */
function prescriptionProhibitedCond(t: string, c: CompiledConsents): Condition {
  const pp = c.prescriptionProhibitions;
  if (pp.everything.length) return TRUE;
  const ids = [...pp.byPrescription.keys()];
  if (t === 'MedicationRequest') return param('_id', ids);
  if (t === 'MedicationDispense')
    return param(
      'prescription',
      ids.map((id) => `MedicationRequest/${id}`)
    );
  return FALSE;
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

function professionalBranches(t: string, ctx: RequestContext, c: CompiledConsents | undefined, f: PolicyFacts): PolicyBranch[] {
  const p = ctx.principal;
  const org = p.organization ? stripOid(p.organization) : undefined;
  const unit = p.unit ? stripOid(p.unit) : undefined;
  const P = p.patient;
  if (isDirectoryType(t)) return [{ rules: ['directory'], cond: TRUE, provisions: [] }];
  if (!org) return [];
  if (t === 'Patient') return P ? [{ rules: ['D9'], cond: param('_id', [P]), provisions: [] }] : [];
  if (t === 'RelatedPerson') return P ? [{ rules: ['D9'], cond: ofPatient(P), provisions: [] }] : [];
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
    return P ? [{ rules: ['D9'], cond: and(ofPatient(P), consentKinds(shown)), provisions: [] }] : [];
  }
  if (!isRecordType(t)) return [];

  const notPds = not(isPds());
  const out: PolicyBranch[] = [{ rules: ['D1'], cond: and(notPds, holder([org])), provisions: [] }];
  if (!P || !c) return out;
  const mine = and(notPds, ofPatient(P));
  const notProhibited = not(prohibitedCond(t, c));
  const informed = c.informed.length > 0;
  const sector = p.sector;
  const pharmacy = !!p.pharmacy;

  // D2: same sector, other register: informing + permission of that sector + no prohibition (D4: sector bound).
  if (sector && !pharmacy && informed) {
    const perm = c.permissions[sameKind(sector)];
    const grants = perm.negative.length ? [] : usableGrants(perm.grants, org, unit);
    if (grants.length)
      out.push({
        rules: ['D2'],
        cond: and(mine, security(LocalSystem.RegisterKind, kindsOf(sector)), or(...grants.map((g) => grantCond(t, g, org, unit))), notProhibited),
        provisions: [...c.informed, ...grants.map((g) => g.ref)],
      });
  }
  // D5: cross-sector, by the permission of that direction, only to a päävastuullinen unit of the receiving sector.
  if (sector && !pharmacy && informed) {
    const flag = sector === 'social' ? f.unitMainResponsibleSocial : f.unitMainResponsibleHealth;
    const perm = c.permissions[crossKind(sector)];
    const grants = perm.negative.length ? [] : usableGrants(perm.grants, org, unit);
    if (flag && grants.length)
      out.push({
        rules: ['D5'],
        cond: and(mine, security(LocalSystem.RegisterKind, kindsOf(otherSector(sector))), or(...grants.map((g) => grantCond(t, g, org, unit))), notProhibited),
        provisions: [...c.informed, ...grants.map((g) => g.ref)],
      });
  }
  // D6: prescriptions in care and at pharmacies without a permission, minus prohibited prescriptions.
  if ((sector === 'health' || pharmacy) && isPrescriptionType(t)) {
    out.push({
      rules: ['D6'],
      cond: and(mine, security(LocalSystem.RegisterKind, HealthRegisterKinds), not(prescriptionProhibitedCond(t, c))),
      provisions: [],
    });
  }
  // D7: Uusimaa public health care uses each other's registers once informed; prohibitions still bind.
  if (sector === 'health' && !pharmacy && informed && f.callerOrgPublicHealth && f.callerOrgRegion === 'uusimaa' && f.uusimaaPublicHolders.length) {
    out.push({
      rules: ['D7'],
      cond: and(mine, security(LocalSystem.RegisterKind, [RegisterKind.PublicHealth]), holder(f.uusimaaPublicHolders), notProhibited),
      provisions: [...c.informed],
    });
  }
  // D8: a social-care authority stating its statutory basis gets social-care data without a permission.
  if (sector === 'social' && !pharmacy && p.legalBasis?.trim()) {
    out.push({ rules: ['D8'], cond: and(mine, isSocial(), notProhibited), provisions: [] });
  }
  return out;
}

/** C1/C2: what OmaKanta shows of a record to the person it is about. */
function displayCond(t: string, today: string): Condition {
  const notInvalid = not(param(invalidationParam(t), ['entered-in-error']));
  if (t !== 'DocumentReference') return notInvalid;
  const released = not(param('release-date', [`gt${today}`]));
  const hidden = CitizenHiddenSocialKinds.map((k) => `${SocialKindSystem}|${k}`);
  const socialRules = and(
    not(param('type', hidden)),
    not(param('category', hidden)),
    not(security(LocalSystem.DocumentMark, [DocumentMark.SpecialContent])),
    or(not(security(LocalSystem.DocumentMark, [DocumentMark.ProfessionalDelay])), param('release-date', [`le${today}`]))
  );
  return and(
    param('status', ['current']),
    param('encounter', ['false'], 'missing'),
    not(security(LocalSystem.DocumentMark, [DocumentMark.OtherPerson, DocumentMark.LocalMainView])),
    released,
    or(not(isSocial()), socialRules)
  );
}

/** C3: the guardian's extra limits on a child's health record. */
function guardianHealthCond(t: string, birthDate: string): Condition {
  const dp = clinicalDateParam(t);
  if (!dp) return FALSE;
  const tenth = addYears(birthDate, GUARDIAN_FULL_VIEW_UNDER_AGE);
  const hasRp = RestrictionParentTypes.includes(t);
  const rp = (codes: readonly string[]): Condition => (hasRp ? param('restriction-parent', codes.map((k) => `${Oid.RestrictionParent}|${k}`)) : FALSE);
  return or(
    and(param(dp, [`ge${GUARDIAN_VIEW_FROM}`]), param(dp, [`lt${tenth}`]), not(rp(GuardianRestrictedCodes))),
    and(param(dp, [`ge${tenth}`]), rp(GuardianAllowedCodes))
  );
}

function guardianSocialCond(t: string): Condition {
  return RestrictionParentTypes.includes(t)
    ? not(param('restriction-parent', GuardianRestrictedCodes.map((k) => `${Oid.RestrictionParent}|${k}`)))
    : TRUE;
}

function personBranches(t: string, ctx: RequestContext, f: PolicyFacts): PolicyBranch[] {
  const p = ctx.principal;
  const P = p.patient;
  if (isDirectoryType(t)) return [{ rules: ['directory'], cond: TRUE, provisions: [] }];
  if (!P) return [];
  const today = finnishDate(ctx.now);
  const minor = !!f.patientBirthDate && ageOn(f.patientBirthDate, today) < ADULT_AGE;

  if (p.kind === 'guardian' && (!f.guardianVerified || !f.patientBirthDate || !minor)) return [];
  const mandates = p.kind === 'proxy' ? (p.mandates ?? []) : [];
  if (p.kind === 'proxy' && mandates.length === 0) return [];

  const self: RuleId[] = p.kind === 'citizen' ? (minor ? ['C5'] : []) : p.kind === 'guardian' ? ['C3'] : ['C4'];
  if (t === 'Patient') return [{ rules: ['C1', ...self], cond: param('_id', [P]), provisions: [] }];
  if (t === 'RelatedPerson') return p.kind === 'proxy' ? [] : [{ rules: ['C1', ...self], cond: ofPatient(P), provisions: [] }];
  if (t === 'AuditEvent') return p.kind === 'citizen' ? [{ rules: ['A4'], cond: ofPatient(P), provisions: [] }] : [];
  if (t === 'Consent') {
    if (p.kind === 'citizen') return [{ rules: ['C6', ...self], cond: ofPatient(P), provisions: [] }];
    const permissions: ConsentKindCode[] = [
      ConsentKind.PermissionHealth,
      ConsentKind.PermissionSocial,
      ConsentKind.PermissionHealthToSocial,
      ConsentKind.PermissionSocialToHealth,
    ];
    const kinds = p.kind === 'guardian' ? [ConsentKind.Informing, ...permissions] : [ConsentKind.Informing, ...permissions, ConsentKind.EuEPrescription];
    return [{ rules: ['C6', ...self], cond: and(ofPatient(P), consentKinds(kinds)), provisions: [] }];
  }
  if (!isRecordType(t)) return [];

  const base = and(ofPatient(P), displayCond(t, today));
  const notSocial = not(isSocial());
  if (p.kind === 'citizen') {
    return [
      { rules: ['C1', ...self], cond: and(base, notSocial), provisions: [] },
      { rules: ['C2', ...self], cond: and(base, isSocial()), provisions: [] },
      // C6: all own wellness data, whatever its status, so the citizen can review and delete every item.
      ...(t === 'Observation' ? [{ rules: ['C6', ...self] as RuleId[], cond: and(ofPatient(P), isPds()), provisions: [] }] : []),
    ];
  }
  if (p.kind === 'guardian') {
    const birth = f.patientBirthDate as string;
    return [
      { rules: ['C1', 'C3'], cond: and(base, notSocial, not(isPds()), guardianHealthCond(t, birth)), provisions: [] },
      { rules: ['C2', 'C3'], cond: and(base, isSocial(), guardianSocialCond(t)), provisions: [] },
    ];
  }
  // Adult proxy (C4): records of the mandated sectors; never wellness data.
  const out: PolicyBranch[] = [];
  if (mandates.includes('health')) out.push({ rules: ['C1', 'C4'], cond: and(base, notSocial, not(isPds())), provisions: [] });
  if (mandates.includes('social')) out.push({ rules: ['C2', 'C4'], cond: and(base, isSocial()), provisions: [] });
  return out;
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
export function buildAccessPolicy(ctx: RequestContext, compiled: CompiledConsents | undefined, facts: PolicyFacts, apps?: WellnessPort): ConsentAccessPolicy {
  const branchCache = new Map<string, PolicyBranch[]>();
  const condCache = new Map<string, Condition>();
  const branches = (t: string): PolicyBranch[] => {
    let list = branchCache.get(t);
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
