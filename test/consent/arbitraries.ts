// fast-check generators of random Kanta worlds (records, consents) shared by the store-level and HTTP property tests against the oracle.
import fc from 'fast-check';
import type { CodeableConcept, ConsentProvision, Resource } from '@medplum/fhirtypes';
import { ConsentKind, type ConsentKindCode, DocumentMark, LocalSystemMore, RegisterKind } from '../../src/kanta/codes.js';
import {
  consent,
  type DocOpts,
  dispense,
  doc,
  encounter,
  episode,
  informing,
  permission,
  prescription,
  prohibitionProvision,
  recipientTarget,
  wellness,
  wellnessApp,
  type Marks,
  Org,
  type ProhibitionTarget,
} from './world.js';

export const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const TASKS = ['child-welfare', 'adult-social-work'];
const SOCIAL_KINDS = ['decision', 'plan', 'shelter', 'client-record-entry', 'phase-1'];
const MARKS = [DocumentMark.OtherPerson, DocumentMark.SpecialContent, DocumentMark.LocalMainView, DocumentMark.ProfessionalDelay];

const { HUS, TAYS, MEHI, SOS, SOS2, VANTAA } = Org;
/** Register holders (organisation OIDs) of both property tests, and the register kind each keeps. */
export const HOLDERS = [HUS, TAYS, MEHI, SOS, SOS2, VANTAA];
const KIND_OF: Record<string, string> = { [HUS]: 'public-health', [TAYS]: 'public-health', [MEHI]: 'private-health', [SOS]: 'social-care', [SOS2]: 'social-care', [VANTAA]: 'public-health' };
const UNITS = [Org.SOS_UNIT, Org.SOS_UNIT_NOFLAG, Org.TAYS_UNIT, Org.SOS_UNIT_FALSE];

/** What differs between the worlds the two property tests draw: patients, days, permission recipients, wellness apps. */
export interface WorldPools {
  patients: readonly string[];
  days: readonly string[];
  /** Organisations a permission may name as recipient (one listed twice is drawn twice as often). */
  recipients: readonly string[];
  /** Client ids a wellness-app consent may name. */
  apps: readonly string[];
}

/** Arbitraries of record and consent specs over `pools` (buildRecords/buildConsents turn them into resources), and of professionals. */
export function worldArbitraries(pools: WorldPools) {
  const { patients, days } = pools;
  const marks: fc.Arbitrary<Marks> = fc
    .record({ holder: pick(HOLDERS), odd: fc.integer({ min: 0, max: 9 }), origin: fc.constantFrom('kanta', 'kanta', 'local'), docMarks: fc.subarray(MARKS, { maxLength: 2 }) })
    .map(({ holder, odd, origin, docMarks }) => ({
      holder,
      // Mostly the holder's own register kind; sometimes wellness data or a foreign kind, to stress P2 and D4.
      kind: odd === 0 ? RegisterKind.PersonalDataStore : odd === 1 ? (KIND_OF[holder] === 'social-care' ? 'public-health' : 'social-care') : KIND_OF[holder],
      origin,
      docMarks,
    }));

  const record = fc.record({
    type: fc.constantFrom('Encounter', 'Encounter', 'EpisodeOfCare', 'DocumentReference', 'DocumentReference', 'DocumentReference', 'MedicationRequest', 'MedicationDispense', 'Observation'),
    patient: pick(patients),
    marks,
    day: pick(days),
    link: fc.nat(),
    linkKind: fc.integer({ min: 0, max: 3 }),
    rp: opt(fc.constantFrom('1', '2', '3', '4')),
    status: fc.constantFrom('current', 'current', 'current', 'superseded', 'entered-in-error'),
    socialKind: opt(pick(SOCIAL_KINDS)),
    releaseDate: opt(pick(days)),
    task: pick(TASKS),
  });

  const consentSpec = fc.record({
    patient: pick(patients),
    kind: fc.constantFrom<ConsentKindCode>(
      ConsentKind.Informing,
      ConsentKind.Informing,
      ConsentKind.PermissionHealth,
      ConsentKind.PermissionHealth,
      ConsentKind.PermissionSocial,
      ConsentKind.PermissionHealthToSocial,
      ConsentKind.PermissionSocialToHealth,
      ConsentKind.Prohibition,
      ConsentKind.Prohibition,
      ConsentKind.PrescriptionProhibition,
      ConsentKind.WellnessApp,
      ConsentKind.LivingWill
    ),
    negative: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    dateTime: fc.constantFrom('2022-05-01T10:00:00Z', '2023-12-31T21:00:00Z', '2024-03-01T10:00:00Z'),
    targets: fc.array(
      fc.record({
        recipient: opt(pick(pools.recipients)),
        resourceType: opt(fc.constantFrom('Encounter', 'DocumentReference')),
        period: opt(fc.record({ start: pick(days), end: pick(days) })),
        task: opt(pick(TASKS)),
      }),
      { maxLength: 2 }
    ),
    denies: fc.array(fc.record({ what: fc.integer({ min: 0, max: 3 }), n: fc.nat(), holder: pick(HOLDERS), task: pick(TASKS) }), { minLength: 1, maxLength: 3 }),
    app: pick(pools.apps),
  });

  /** A professional of one of the HOLDERS, with or without a unit, a patient and a care relationship. */
  const professional = (subject: string) =>
    fc.record({
      kind: fc.constant('professional' as const),
      subject: fc.constant(subject),
      organization: pick(HOLDERS),
      sector: fc.constantFrom('health' as const, 'social' as const),
      unit: opt(pick(UNITS)),
      pharmacy: fc.boolean().map((b) => (b ? true : undefined)),
      legalBasis: opt(fc.constant('SHL 41 §')),
      patient: opt(pick(patients)),
      relationship: fc.constantFrom('hoitosuhde', 'hoitosuhde', 'hoitosuhde', undefined),
    });

  return { record, consent: consentSpec, professional };
}

type WorldArbitraries = ReturnType<typeof worldArbitraries>;
export type RecordSpec = WorldArbitraries['record'] extends fc.Arbitrary<infer T> ? T : never;
export type ConsentSpec = WorldArbitraries['consent'] extends fc.Arbitrary<infer T> ? T : never;

/** Records of the specs; links (visit, episode, prescription) go to earlier records of the same patient, when there are any. */
export function buildRecords(specs: RecordSpec[]): Resource[] {
  const out: Resource[] = [];
  const ofType = (t: string, p: string) => out.filter((r) => r.resourceType === t && (r as any)[t === 'EpisodeOfCare' ? 'patient' : 'subject']?.reference === `Patient/${p}`);
  specs.forEach((s, i) => {
    const id = `${s.type.slice(0, 3).toLowerCase()}${i}`;
    switch (s.type) {
      case 'Encounter': {
        const eps = ofType('EpisodeOfCare', s.patient);
        const ep = s.linkKind === 0 && eps.length ? eps[s.link % eps.length].id : undefined;
        out.push(encounter(id, s.patient, s.marks, s.day, { episode: ep, rp: s.rp }));
        break;
      }
      case 'EpisodeOfCare':
        out.push(episode(id, s.patient, s.marks, s.day, s.task, { rp: s.rp }));
        break;
      case 'DocumentReference': {
        const targets = s.linkKind === 3 ? [] : s.linkKind === 2 ? ofType('EpisodeOfCare', s.patient) : ofType('Encounter', s.patient);
        const link = targets.length ? `${targets[s.link % targets.length].resourceType}/${targets[s.link % targets.length].id}` : undefined;
        out.push(doc(id, s.patient, s.marks, s.day, { encounter: link, status: s.status as DocOpts['status'], socialKind: s.socialKind, releaseDate: s.releaseDate, rp: s.rp }));
        break;
      }
      case 'MedicationRequest':
        out.push(prescription(id, s.patient, s.marks, s.day));
        break;
      case 'MedicationDispense': {
        const rxs = ofType('MedicationRequest', s.patient);
        if (rxs.length) out.push(dispense(id, s.patient, s.marks, s.day, rxs[s.link % rxs.length].id as string));
        break;
      }
      case 'Observation':
        out.push(wellness(id, s.patient, s.day));
        break;
    }
  });
  return out;
}

export interface BuildConsentOptions {
  /** Scope a living will carries instead of the default one (the gateway's Consent profile wants 'adr'). */
  livingWillScope?: CodeableConcept;
}

/** Consents of the specs; prohibitions and prescription prohibitions point at `records` of the same patient, when there are any. */
export function buildConsents(specs: ConsentSpec[], records: Resource[], opts: BuildConsentOptions = {}): Resource[] {
  return specs.map((s, i) => {
    const id = `con${i}`;
    const mine = (t: string) => records.filter((r) => r.resourceType === t && ((r as any).subject ?? (r as any).patient)?.reference === `Patient/${s.patient}`);
    switch (s.kind) {
      case ConsentKind.Informing:
        return informing(s.patient, id);
      case ConsentKind.Prohibition: {
        const targets: ProhibitionTarget[] = s.denies.map((d) => {
          const events = [...mine('Encounter'), ...mine('EpisodeOfCare')];
          const docs = mine('DocumentReference');
          if (d.what === 1 && events.length) return { event: `${events[d.n % events.length].resourceType}/${events[d.n % events.length].id}` };
          if (d.what === 2) return { task: d.task };
          if (d.what === 3 && docs.length) return { document: docs[d.n % docs.length].id as string };
          return { holder: d.holder };
        });
        return consent(ConsentKind.Prohibition, s.patient, { type: 'deny', provision: targets.map(prohibitionProvision) }, { id, dateTime: s.dateTime });
      }
      case ConsentKind.PrescriptionProhibition: {
        const rxs = mine('MedicationRequest');
        const data = s.negative || !rxs.length ? [] : [{ meaning: 'instance' as const, reference: { reference: `MedicationRequest/${rxs[s.denies[0].n % rxs.length].id}` } }];
        return consent(ConsentKind.PrescriptionProhibition, s.patient, { type: 'deny', ...(data.length ? { data } : {}) }, { id });
      }
      case ConsentKind.WellnessApp:
        return { ...wellnessApp(s.patient, s.app), id };
      case ConsentKind.LivingWill: {
        const will = consent(ConsentKind.LivingWill, s.patient, { type: 'permit' }, { id });
        return opts.livingWillScope ? { ...will, scope: opts.livingWillScope } : will;
      }
      default: {
        const targets: ConsentProvision[] = s.targets.map((t) => ({
          ...(t.recipient ? recipientTarget(t.recipient) : {}),
          ...(t.resourceType ? { class: [{ system: 'http://hl7.org/fhir/resource-types', code: t.resourceType }] } : {}),
          ...(t.period ? { dataPeriod: t.period } : {}),
          ...(t.task ? { code: [{ coding: [{ system: LocalSystemMore.SocialServiceTask, code: t.task }] }] } : {}),
        }));
        const c = permission(s.kind, s.patient, { id, negative: s.negative, dateTime: s.dateTime, targets: targets.length ? targets : undefined });
        // Some permissions carry a nested exception (deny) too: it must act as a prohibition.
        if (!s.negative && s.denies[0].what === 0 && s.denies.length > 1) c.provision?.provision?.push(prohibitionProvision({ holder: s.denies[1].holder }));
        return c;
      }
    }
  });
}
