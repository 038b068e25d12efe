// What a citizen, a guardian of a minor and an adult proxy see in OmaKanta (C1-C5, A4). https://www.kanta.fi/omakanta
import type { RequestContext } from '../context.js';
import { ConsentKind, type ConsentKindCode, DocumentMark, LocalSystem, Oid } from '../kanta/codes.js';
import type { Condition } from '../store/resource-store.js';
import type { PolicyBranch, PolicyFacts, RuleId } from './access-policy.js';
import { and, chain, not, or, param, security, TRUE } from './conditions.js';
import {
  ADULT_AGE,
  addYears,
  ageOn,
  CitizenHiddenSocialKinds,
  finnishDate,
  finnishDayEve,
  finnishDayStart,
  GUARDIAN_FULL_VIEW_UNDER_AGE,
  GUARDIAN_VIEW_FROM,
  GuardianAllowedCodes,
  GuardianRestrictedCodes,
  SocialKindSystem,
} from './kanta-rules.js';
import { consentKinds, isPds, isSocial, ofPatient } from './policy-terms.js';
import { eventParam, linkedToEvent } from './record-links.js';
import { clinicalDateParam, invalidationParam, isDirectoryType, isRecordType } from './record-types.js';

/** C1/C2: what OmaKanta shows of a record to the person it is about. */
function displayCond(t: string, today: string, patient: string): Condition {
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
    // Seed 003: "vain niistä asiakirjoista, jotka on yhdistetty tälle henkilölle kirjattuun käyntiin/hoitojaksoon".
    or(chain('encounter', 'Encounter', ofPatient(patient)), chain('encounter', 'EpisodeOfCare', ofPatient(patient))),
    not(security(LocalSystem.DocumentMark, [DocumentMark.OtherPerson, DocumentMark.LocalMainView])),
    released,
    or(not(isSocial()), socialRules)
  );
}

/** The record's care began on or after Finnish day `day` (its own date; undated types never pass). */
function startsFrom(t: string, day: string): Condition {
  const dp = clinicalDateParam(t);
  return dp ? param(dp, [`sa${finnishDayEve(day)}`]) : { kind: 'false' };
}

/** The record's care began before Finnish day `day`. */
function startsBefore(t: string, day: string): Condition {
  const dp = clinicalDateParam(t);
  return dp ? param(dp, [`lt${finnishDayStart(day)}`]) : { kind: 'false' };
}

/**
 * C3/C5 (seed 003): "alle 10-vuotiaiden lasten huoltajille ja alaikäisille itselleen näytetään 1.8.2016 jälkeen
 * syntyneet tiedot", for the visit too: "Mikäli käynti terveydenhuollossa on tapahtunut 1.8.2016 jälkeen".
 * The record itself and the service event it hangs off must both be from that day on.
 */
function bornFromViewStart(t: string): Condition {
  const eventBefore = linkedToEvent(t, { encounter: startsBefore('Encounter', GUARDIAN_VIEW_FROM), episode: startsBefore('EpisodeOfCare', GUARDIAN_VIEW_FROM) });
  return and(startsFrom(t, GUARDIAN_VIEW_FROM), t === 'Encounter' || t === 'EpisodeOfCare' ? TRUE : not(eventBefore));
}

/** The record, or the service event it is linked to, carries a RestrictionParent code of `codes` (seed 001, 004). */
function restrictionParent(t: string, codes: readonly string[]): Condition {
  const values = codes.map((k) => `${Oid.RestrictionParent}|${k}`);
  return or(t === 'DocumentReference' ? param('restriction-parent', values) : { kind: 'false' }, linkedToEvent(t, eventParam('restriction-parent', values)));
}

/**
 * C3: a guardian sees the child's health records from visits since 2016-08-01 while the child was under 10, and
 * from age 10 only where the professional recorded decision capacity and will allowing it; a restriction on the
 * record or its visit always wins.
 */
function guardianHealthCond(t: string, birthDate: string): Condition {
  const tenth = addYears(birthDate, GUARDIAN_FULL_VIEW_UNDER_AGE);
  // "lapsen ollessa alle 10-vuotias" is said of the visit: the record and the visit it hangs off both before the tenth birthday.
  const visitFromTenth = linkedToEvent(t, { encounter: startsFrom('Encounter', tenth), episode: startsFrom('EpisodeOfCare', tenth) });
  return and(
    bornFromViewStart(t),
    not(restrictionParent(t, GuardianRestrictedCodes)),
    or(restrictionParent(t, GuardianAllowedCodes), and(startsBefore(t, tenth), not(visitFromTenth)))
  );
}

/** Seed 004: "huoltaja näkee OmaKannassa samat tiedot kuin alaikäinen asiakas itse, ellei erillisiä näyttämisen rajoituksia tehdä". */
function guardianSocialCond(t: string): Condition {
  return and(bornFromViewStart(t), not(restrictionParent(t, GuardianRestrictedCodes)));
}

export function personBranches(t: string, ctx: RequestContext, f: PolicyFacts): PolicyBranch[] {
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

  const base = and(ofPatient(P), displayCond(t, today, P));
  const notSocial = not(isSocial());
  if (p.kind === 'citizen') {
    // C5: a minor acting alone sees own care records born from 2016-08-01 on; own wellness data is the minor's own.
    const window = minor ? bornFromViewStart(t) : TRUE;
    return [
      { rules: ['C1', ...self], cond: and(base, notSocial, not(isPds()), window), provisions: [] },
      { rules: ['C2', ...self], cond: and(base, isSocial(), window), provisions: [] },
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
