// Property test: over random populations, consents and callers, the guarded SQL store answers exactly as the oracle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConsentProvision, Resource } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../../src/context.js';
import { createConsentService } from '../../src/consent/consent-service.js';
import { ConsentKind, type ConsentKindCode, DocumentMark, LocalSystemMore, RegisterKind } from '../../src/kanta/codes.js';
import { Oracle } from './oracle.js';
import {
  consent,
  ctx,
  dispense,
  doc,
  encounter,
  episode,
  guardianLink,
  informing,
  load,
  openStore,
  org,
  patient,
  permission,
  prescription,
  prohibitionProvision,
  recipientTarget,
  searchQuery,
  wellness,
  wellnessApp,
  type Marks,
  type ProhibitionTarget,
} from './world.js';

const HUS = '1.2.246.10.1';
const TAYS = '1.2.246.10.2';
const MEHI = '1.2.246.10.3';
const SOS = '1.2.246.10.4';
const SOS2 = '1.2.246.10.5';
const VANTAA = '1.2.246.10.6';
const UNITS = ['1.2.246.10.4.1', '1.2.246.10.4.2', '1.2.246.10.2.1', '1.2.246.10.6.1'];
const HOLDERS = [HUS, TAYS, MEHI, SOS, SOS2, VANTAA];
const KIND_OF: Record<string, string> = { [HUS]: 'public-health', [TAYS]: 'public-health', [MEHI]: 'private-health', [SOS]: 'social-care', [SOS2]: 'social-care', [VANTAA]: 'public-health' };
const PATIENTS = ['p1', 'kid', 'tot'];
const DAYS = ['2015-05-01', '2016-07-31', '2016-08-01', '2019-06-01', '2022-01-10', '2023-01-10', '2023-03-03', '2024-02-01', '2025-01-01', '2025-06-15', '2025-09-01'];
const TASKS = ['child-welfare', 'adult-social-work'];
const SOCIAL_KINDS = ['decision', 'plan', 'shelter', 'client-record-entry', 'phase-1'];
const MARKS = [DocumentMark.OtherPerson, DocumentMark.SpecialContent, DocumentMark.LocalMainView, DocumentMark.ProfessionalDelay];

const orgs = (): Resource[] => [
  org(HUS, { public: true, region: 'uusimaa' }),
  org(TAYS, { public: true, region: 'other' }),
  org(MEHI, { public: false, region: 'uusimaa' }),
  org(SOS, { public: true }),
  org(SOS2, { public: true }),
  org(VANTAA, { public: true, region: 'uusimaa' }),
  org(UNITS[0], { socialFlag: true }),
  org(UNITS[1], {}),
  org(UNITS[2], { healthFlag: true }),
  org(UNITS[3], { healthFlag: false, socialFlag: true }),
];

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const marksArb: fc.Arbitrary<Marks> = fc.record({
  holder: pick(HOLDERS),
  odd: fc.integer({ min: 0, max: 9 }),
  origin: fc.constantFrom('kanta', 'kanta', 'local'),
  docMarks: fc.subarray(MARKS, { maxLength: 2 }),
}).map(({ holder, odd, origin, docMarks }) => ({
  holder,
  // Mostly the holder's own register kind; sometimes wellness data or a foreign kind, to stress P2 and D4.
  kind: odd === 0 ? RegisterKind.PersonalDataStore : odd === 1 ? (KIND_OF[holder] === 'social-care' ? 'public-health' : 'social-care') : KIND_OF[holder],
  origin,
  docMarks,
}));

const recordArb = fc.record({
  type: fc.constantFrom('Encounter', 'Encounter', 'EpisodeOfCare', 'DocumentReference', 'DocumentReference', 'DocumentReference', 'MedicationRequest', 'MedicationDispense', 'Observation'),
  patient: pick(PATIENTS),
  marks: marksArb,
  day: pick(DAYS),
  link: fc.nat(),
  linkKind: fc.integer({ min: 0, max: 3 }),
  rp: opt(fc.constantFrom('1', '2', '3', '4')),
  status: fc.constantFrom('current', 'current', 'current', 'superseded', 'entered-in-error'),
  socialKind: opt(pick(SOCIAL_KINDS)),
  releaseDate: opt(pick(DAYS)),
  task: pick(TASKS),
});
type RecordSpec = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;

function buildRecords(specs: RecordSpec[]): Resource[] {
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
        out.push(doc(id, s.patient, s.marks, s.day, { encounter: link, status: s.status as any, socialKind: s.socialKind, releaseDate: s.releaseDate, rp: s.rp }));
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

const consentArb = fc.record({
  patient: pick(PATIENTS),
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
      recipient: opt(pick([...HOLDERS, SOS2])),
      resourceType: opt(fc.constantFrom('Encounter', 'DocumentReference')),
      period: opt(fc.record({ start: pick(DAYS), end: pick(DAYS) })),
      task: opt(pick(TASKS)),
    }),
    { maxLength: 2 }
  ),
  denies: fc.array(fc.record({ what: fc.integer({ min: 0, max: 3 }), n: fc.nat(), holder: pick(HOLDERS), task: pick(TASKS) }), { minLength: 1, maxLength: 3 }),
  app: fc.constantFrom('app-1', 'app-2'),
});
type ConsentSpec = typeof consentArb extends fc.Arbitrary<infer T> ? T : never;

function buildConsents(specs: ConsentSpec[], records: Resource[]): Resource[] {
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
      case ConsentKind.LivingWill:
        return consent(ConsentKind.LivingWill, s.patient, { type: 'permit' }, { id });
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

const callerArb: fc.Arbitrary<Partial<Principal> & Pick<Principal, 'kind'>> = fc.oneof(
  fc.record({
    kind: fc.constant('professional' as const),
    subject: fc.constant('hetu-pro'),
    organization: pick(HOLDERS),
    sector: fc.constantFrom('health' as const, 'social' as const),
    unit: opt(pick(UNITS)),
    pharmacy: fc.boolean().map((b) => (b ? true : undefined)),
    legalBasis: opt(fc.constant('SHL 41 §')),
    patient: opt(pick(PATIENTS)),
    relationship: fc.constantFrom('hoitosuhde', 'hoitosuhde', 'hoitosuhde', undefined),
  }),
  fc.record({ kind: fc.constant('citizen' as const), patient: pick(PATIENTS), subject: fc.constant('hetu-self') }),
  fc.record({ kind: fc.constant('guardian' as const), patient: pick(PATIENTS), subject: fc.constantFrom('hetu-g', 'hetu-g', 'hetu-other') }),
  fc.record({ kind: fc.constant('proxy' as const), patient: pick(PATIENTS), subject: fc.constant('hetu-proxy'), mandates: fc.subarray(['health', 'social'] as const) }),
  fc.record({ kind: fc.constant('app' as const), patient: pick(PATIENTS), subject: fc.constant('app'), clientId: fc.constantFrom('app-1', 'app-2') }),
  fc.record({ kind: fc.constant('system' as const), subject: fc.constant('svc') })
);

const TYPES = ['Patient', 'Encounter', 'EpisodeOfCare', 'DocumentReference', 'MedicationRequest', 'MedicationDispense', 'Observation', 'Consent', 'RelatedPerson', 'Organization'];

describe('guarded store versus the reference oracle', () => {
  it('D1-D11, C1-C5, P1-P2: search and read answers equal the oracle for random populations, consents and callers', async () => {
    const stats = { searches: 0, reads: 0, refused: 0 };
    const service = createConsentService();
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { minLength: 10, maxLength: 45 }),
        fc.array(consentArb, { maxLength: 9 }),
        fc.array(callerArb, { minLength: 20, maxLength: 20 }),
        async (recordSpecs, consentSpecs, callers) => {
          const records = buildRecords(recordSpecs);
          const world: Resource[] = [
            ...orgs(),
            patient('p1', '1980-03-01'),
            patient('kid', '2013-01-10'),
            patient('tot', '2016-01-10'),
            guardianLink('g-kid', 'kid', 'hetu-g'),
            guardianLink('g-tot', 'tot', 'hetu-g'),
            ...records,
            ...buildConsents(consentSpecs, records),
          ];
          const raw = await openStore();
          await load(raw, world);
          const oracle = new Oracle(world);
          for (const caller of callers) {
            const c: RequestContext = ctx(caller);
            if (oracle.refuses(c)) {
              await expect(service.forRequest(c, raw)).rejects.toThrow();
              stats.refused++;
              continue;
            }
            const session = await service.forRequest(c, raw);
            for (const t of TYPES) {
              const res = await session.store.search(searchQuery(t));
              const ids = res.resources.map((r) => r.id as string).sort();
              expect({ caller, t, ids }).toEqual({ caller, t, ids: oracle.visible(c, t) });
              expect(res.total).toBe(ids.length);
              stats.searches++;
            }
            for (const r of world.filter((_, i) => i % 4 === callers.indexOf(caller) % 4)) {
              const got = await session.store.read(r.resourceType, r.id as string);
              expect({ caller, ref: `${r.resourceType}/${r.id}`, seen: !!got }).toEqual({ caller, ref: `${r.resourceType}/${r.id}`, seen: oracle.canSee(c, r) });
              stats.reads++;
            }
          }
        }
      ),
      { numRuns: 25 }
    );
    expect(stats.searches + stats.reads).toBeGreaterThan(5000);
  }, 240_000);
});
