// fast-check generators of random Kanta worlds (records, consents, callers with scopes) shared by the store-level and HTTP property tests against the oracle.
import fc from 'fast-check';
import type { CodeableConcept, ConsentProvision, Resource } from '@medplum/fhirtypes';
import type { Principal } from '../../src/context.js';
import { ConsentKind, type ConsentKindCode, DocumentMark, LocalSystemMore, RegisterKind } from '../../src/kanta/codes.js';
import {
  consent,
  type DocOpts,
  dispense,
  doc,
  encounter,
  episode,
  informing,
  type Marks,
  org,
  Org,
  organizations,
  permission,
  prescription,
  prohibitionProvision,
  type ProhibitionTarget,
  recipientTarget,
  renewal,
  wellness,
  wellnessApp,
} from './world.js';

export const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const TASKS = ['child-welfare', 'adult-social-work'];
const SOCIAL_KINDS = ['decision', 'plan', 'shelter', 'client-record-entry', 'payment-commitment', 'phase-1'];
const MARKS = [DocumentMark.OtherPerson, DocumentMark.SpecialContent, DocumentMark.LocalMainView, DocumentMark.ProfessionalDelay];

/** A wellbeing county holding both a patient register (health) and a client register (social), with a unit of each flag. */
export const County = { COUNTY: '1.2.246.10.7', SOCIAL_UNIT: '1.2.246.10.7.1', HEALTH_UNIT: '1.2.246.10.7.2' } as const;

const { HUS, TAYS, MEHI, SOS, SOS2, VANTAA } = Org;
const { COUNTY } = County;
/** Register holders (organisation OIDs) of both property tests. */
export const HOLDERS = [HUS, TAYS, MEHI, SOS, SOS2, VANTAA, COUNTY, COUNTY];
/** The register kinds each holder keeps (the county keeps both). */
const KINDS_OF: Record<string, string[]> = {
  [HUS]: ['public-health'],
  [TAYS]: ['public-health'],
  [MEHI]: ['private-health'],
  [SOS]: ['social-care'],
  [SOS2]: ['social-care'],
  [VANTAA]: ['public-health'],
  [COUNTY]: ['public-health', 'social-care'],
};
const HEALTH_HOLDERS = [HUS, TAYS, MEHI, VANTAA, COUNTY];
/** Units of each organisation in the registry (Organization.partOf, as organizations() records them). */
export const UNITS_OF: Record<string, string[]> = {
  [SOS2]: [Org.SOS_UNIT, Org.SOS_UNIT_NOFLAG],
  [TAYS]: [Org.TAYS_UNIT, Org.SOS_UNIT_FALSE],
  [COUNTY]: [County.SOCIAL_UNIT, County.HEALTH_UNIT],
};
const ALL_UNITS = Object.values(UNITS_OF).flat();

/** The organisation registry of the property tests: organizations() (units under their organisation) and the two-register county. */
export const propertyOrganizations = (): Resource[] => [
  ...organizations(),
  org(COUNTY, { public: true, region: 'other' }),
  org(County.SOCIAL_UNIT, { socialFlag: true, partOf: COUNTY }),
  org(County.HEALTH_UNIT, { healthFlag: true, partOf: COUNTY }),
];

/** What differs between the worlds the two property tests draw. */
export interface WorldPools {
  /** Patient names (one listed twice is drawn twice as often). */
  patients: readonly string[];
  /** Days (YYYY-MM-DD) or instants (Helsinki-midnight boundaries) records are born on. */
  days: readonly string[];
  /** Organisations a permission may name as recipient. */
  recipients: readonly string[];
  /** Client ids a wellness-app consent may name. */
  apps: readonly string[];
}

/** Arbitraries of record and consent specs over `pools` (buildRecords/buildConsents turn them into resources), and of professionals. */
export function worldArbitraries(pools: WorldPools) {
  const { patients, days } = pools;
  const dates = days.filter((d) => !d.includes('T'));
  const marks: fc.Arbitrary<Marks> = fc
    .record({ holder: pick(HOLDERS), odd: fc.integer({ min: 0, max: 19 }), which: fc.nat(), origin: fc.constantFrom('kanta', 'kanta', 'local'), docMarks: fc.subarray(MARKS, { maxLength: 2 }) })
    .map(({ holder, odd, which, origin, docMarks }) => ({
      holder,
      // Mostly one of the holder's own register kinds; rarely wellness data or a foreign kind, to stress P2 and D4.
      kind: odd === 0 ? RegisterKind.PersonalDataStore : odd === 1 ? (KINDS_OF[holder][0] === 'social-care' ? 'public-health' : 'social-care') : KINDS_OF[holder][which % KINDS_OF[holder].length],
      origin,
      docMarks,
    }));

  const record = fc.record({
    type: fc.constantFrom('Encounter', 'Encounter', 'EpisodeOfCare', 'DocumentReference', 'DocumentReference', 'DocumentReference', 'MedicationRequest', 'MedicationRequest', 'MedicationDispense', 'Task', 'Observation'),
    patient: pick(patients),
    marks,
    day: pick(days),
    link: fc.nat(),
    linkKind: fc.integer({ min: 0, max: 3 }),
    rp: opt(fc.constantFrom('1', '2', '3', '4')),
    // Guardian restriction marks sit mostly on visits only (issue 11, item 4): a document carries its own in a quarter of cases.
    docRp: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    status: fc.constantFrom('current', 'current', 'current', 'superseded', 'entered-in-error'),
    socialKind: opt(pick(SOCIAL_KINDS)),
    releaseDate: opt(pick(dates)),
    task: pick(TASKS),
  });

  const consentSpec = fc.record({
    patient: pick(patients),
    kind: fc.constantFrom<ConsentKindCode>(
      ConsentKind.Informing,
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
      ConsentKind.PrescriptionProhibition,
      ConsentKind.WellnessApp,
      ConsentKind.LivingWill
    ),
    negative: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    // 2023-12-31T22:30Z is 1.1.2024 00:30 in Finland: a 2024 permission (D10 boundary in Finnish time).
    dateTime: fc.constantFrom('2022-05-01T10:00:00Z', '2023-12-31T21:00:00Z', '2023-12-31T22:30:00Z', '2024-03-01T10:00:00Z'),
    targets: fc.array(
      fc.record({
        recipient: opt(pick(pools.recipients)),
        resourceType: opt(fc.constantFrom('Encounter', 'DocumentReference', 'MedicationRequest')),
        period: opt(fc.record({ start: pick(dates), end: pick(dates) })),
        task: opt(pick(TASKS)),
      }),
      { maxLength: 2 }
    ),
    denies: fc.array(fc.record({ what: fc.integer({ min: 0, max: 3 }), n: fc.nat(), holder: pick(HOLDERS), task: pick(TASKS) }), { minLength: 1, maxLength: 3 }),
    app: pick(pools.apps),
  });

  /**
   * A professional of one of the HOLDERS: with or without a unit (of the organisation, or of another one: issue 11 item 8),
   * a patient (D9), a care relationship, a statutory basis (D8), a pharmacy (D6).
   */
  const professional = (subject: string): fc.Arbitrary<Partial<Principal> & Pick<Principal, 'kind'>> =>
    fc
      .record({
        organization: pick(HOLDERS),
        sector: fc.constantFrom('health' as const, 'social' as const),
        unitMode: fc.integer({ min: 0, max: 9 }),
        unitPick: fc.nat(),
        pharmacy: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
        legalBasis: fc.integer({ min: 0, max: 3 }).map((n) => (n === 0 ? 'SHL 41 §' : undefined)),
        patientMode: fc.integer({ min: 0, max: 9 }),
        patient: pick(patients),
        relationship: fc.constantFrom('hoitosuhde', 'hoitosuhde', 'hoitosuhde', 'hoitosuhde', undefined),
      })
      .map((x) => {
        const own = UNITS_OF[x.organization] ?? [];
        const unit = x.unitMode >= 8 ? ALL_UNITS[x.unitPick % ALL_UNITS.length] : x.unitMode >= 4 && own.length ? own[x.unitPick % own.length] : undefined;
        return {
          kind: 'professional' as const,
          subject,
          organization: x.organization,
          sector: x.sector,
          ...(unit ? { unit } : {}),
          ...(x.pharmacy && x.sector === 'health' ? { pharmacy: true } : {}),
          ...(x.legalBasis ? { legalBasis: x.legalBasis } : {}),
          ...(x.patientMode > 0 ? { patient: x.patient } : {}),
          ...(x.relationship ? { relationship: x.relationship, purposeOfUse: 'TREAT' } : {}),
        };
      });

  return { record, consent: consentSpec, professional };
}

/**
 * SMART scopes of a caller: mostly wide, sometimes narrow (issue 11, item 10: a pharmacist's prescription scopes, a
 * Patient-only or Encounter-only token, a random handful of types, v1 `read`).
 */
export function scopesArb(kind: Principal['kind'], types: readonly string[]): fc.Arbitrary<string[]> {
  const c = kind === 'professional' ? 'user' : kind === 'system' ? 'system' : 'patient';
  const scopes = (...s: string[]): string[] => s;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(scopes(`${c}/*.cruds`)) },
    { weight: 1, arbitrary: fc.constant(scopes(`${c}/*.read`)) },
    { weight: 1, arbitrary: fc.constant(scopes(`${c}/MedicationRequest.rs`, `${c}/MedicationDispense.cruds`, `${c}/Patient.rs`)) },
    { weight: 1, arbitrary: fc.constantFrom(scopes(`${c}/Patient.rs`), scopes(`${c}/Encounter.rs`)) },
    { weight: 2, arbitrary: fc.subarray([...types], { minLength: 1, maxLength: 4 }).map((ts) => ts.map((t) => `${c}/${t}.rs`)) }
  );
}

type WorldArbitraries = ReturnType<typeof worldArbitraries>;
export type RecordSpec = WorldArbitraries['record'] extends fc.Arbitrary<infer T> ? T : never;
export type ConsentSpec = WorldArbitraries['consent'] extends fc.Arbitrary<infer T> ? T : never;

/** Prescriptions, dispensings and renewal requests are health data: their marks name a health register. */
function healthMarks(m: Marks, n: number): Marks {
  if (m.kind === 'public-health' || m.kind === 'private-health') return m;
  const holder = HEALTH_HOLDERS[n % HEALTH_HOLDERS.length];
  return { ...m, holder, kind: holder === MEHI ? 'private-health' : 'public-health' };
}

/** Records of the specs; links (visit, episode, prescription) go to earlier records of the same patient, when there are any. */
export function buildRecords(specs: RecordSpec[]): Resource[] {
  const out: Resource[] = [];
  const ofType = (t: string, p: string) => out.filter((r) => r.resourceType === t && (r as any)[t === 'EpisodeOfCare' ? 'patient' : 'subject']?.reference === `Patient/${p}`);
  specs.forEach((spec, i) => {
    // Document marks sit on documents only (codes.ts).
    const s = spec.type === 'DocumentReference' ? spec : { ...spec, marks: { ...spec.marks, docMarks: [] } };
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
        // Rarely a document names another patient's visit (C1: it is shown only under the citizen's own visit).
        const anyVisit = out.filter((r) => r.resourceType === 'Encounter');
        const targets = s.linkKind === 3 ? [] : s.linkKind === 2 ? ofType('EpisodeOfCare', s.patient) : s.linkKind === 1 && s.link % 3 === 0 ? anyVisit : ofType('Encounter', s.patient);
        const link = targets.length ? `${targets[s.link % targets.length].resourceType}/${targets[s.link % targets.length].id}` : undefined;
        const socialKind = s.marks.kind === 'social-care' ? s.socialKind : undefined;
        out.push(doc(id, s.patient, s.marks, s.day, { encounter: link, status: s.status as DocOpts['status'], socialKind, releaseDate: s.releaseDate, rp: s.docRp ? s.rp : undefined }));
        break;
      }
      case 'MedicationRequest': {
        // Half of the prescriptions were written at a visit: a mark or prohibition of the visit reaches them (issue 11).
        const visits = ofType('Encounter', s.patient);
        const at = s.linkKind <= 1 && visits.length ? (visits[s.link % visits.length].id as string) : undefined;
        out.push(prescription(id, s.patient, healthMarks(s.marks, s.link), s.day, { encounter: at }));
        break;
      }
      case 'MedicationDispense':
      case 'Task': {
        const rxs = ofType('MedicationRequest', s.patient);
        if (!rxs.length) break;
        const rx = rxs[s.link % rxs.length];
        const build = s.type === 'Task' ? renewal : dispense;
        // A renewal request carries its prescription's register (src/kanta/renewal-request-to-task.ts); a dispensing its own.
        const m = s.type === 'Task' ? { ...healthMarks(s.marks, s.link), holder: (rx.meta?.security ?? [])[0]?.code, kind: (rx.meta?.security ?? [])[1]?.code } : healthMarks(s.marks, s.link);
        out.push(build(id, s.patient, m, s.day, rx.id as string));
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
        // A prescription prohibition names prescriptions; with none to name the citizen has acknowledged informing instead.
        const rxs = mine('MedicationRequest');
        if (!rxs.length) return informing(s.patient, id);
        const chosen = [...new Set(s.denies.map((d) => rxs[d.n % rxs.length].id as string))];
        return consent(ConsentKind.PrescriptionProhibition, s.patient, {
          type: 'deny',
          data: chosen.map((rx) => ({ meaning: 'instance' as const, reference: { reference: `MedicationRequest/${rx}` } })),
        }, { id });
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
        // Some permissions carry a nested exception (deny) too.
        if (!s.negative && s.denies[0].what === 0 && s.denies.length > 1) {
          c.provision = { ...c.provision, provision: [...(c.provision?.provision ?? []), prohibitionProvision({ holder: s.denies[1].holder })] };
        }
        return c;
      }
    }
  });
}

/**
 * Consents that put the new situations in front of the engine: for a patient, informing plus a health permission (D2) and
 * a prescription prohibition, or informing alone (D7 Uusimaa), so that a prohibited prescription meets every basis.
 */
export const scenarioConsentsArb = (patients: readonly string[]) =>
  fc.array(fc.record({ patient: pick(patients), withPermission: fc.boolean(), n: fc.nat() }), { maxLength: 2 });

export function buildScenarioConsents(specs: { patient: string; withPermission: boolean; n: number }[], records: Resource[]): Resource[] {
  return specs.flatMap((s, i) => {
    const rxs = records.filter((r) => r.resourceType === 'MedicationRequest' && (r as any).subject?.reference === `Patient/${s.patient}`);
    const out: Resource[] = [informing(s.patient, `sc-inf${i}`)];
    if (s.withPermission) out.push(permission(ConsentKind.PermissionHealth, s.patient, { id: `sc-perm${i}`, dateTime: '2024-03-01T10:00:00Z' }));
    if (rxs.length)
      out.push(consent(ConsentKind.PrescriptionProhibition, s.patient, { type: 'deny', data: [{ meaning: 'instance', reference: { reference: `MedicationRequest/${rxs[s.n % rxs.length].id}` } }] }, { id: `sc-rxp${i}` }));
    return out;
  });
}
