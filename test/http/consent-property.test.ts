// Property test over HTTP: for random worlds, consents and callers, the gateway's search totals, ids and reads equal the reference oracle.
import fc from 'fast-check';
import type { Bundle, ConsentProvision, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentKind, type ConsentKindCode, DocumentMark, LocalSystem, LocalSystemMore, RegisterKind } from '../../src/kanta/codes.js';
import { Oracle } from '../consent/oracle.js';
import {
  consent,
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
  type ProhibitionTarget,
} from '../consent/world.js';
import { backends } from '../support/backends.js';
import { type Caller, claimsOf, contextOf, guardianOf, hetu, Org, organizations, patientOf, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const { HUS, TAYS, MEHI, SOS, SOS2, VANTAA } = Org;
const UNITS = [Org.SOS_UNIT, Org.SOS_UNIT_NOFLAG, Org.TAYS_UNIT, Org.SOS_UNIT_FALSE];
const HOLDERS = [HUS, TAYS, MEHI, SOS, SOS2, VANTAA];
const KIND_OF: Record<string, string> = { [HUS]: 'public-health', [TAYS]: 'public-health', [MEHI]: 'private-health', [SOS]: 'social-care', [SOS2]: 'social-care', [VANTAA]: 'public-health' };
const PATIENTS = ['p1', 'kid', 'tot'] as const;
const BIRTH: Record<string, string> = { p1: '1980-03-01', kid: '2013-01-10', tot: '2017-02-10' };
const GUARDIAN = hetu('1984-04-04', 990);
const DAYS = ['2015-05-01', '2016-07-31', '2016-08-01', '2019-06-01', '2022-01-10', '2023-03-03', '2024-02-01', '2025-01-01', '2025-06-15', '2099-09-01'];
const TASKS = ['child-welfare', 'adult-social-work'];
const SOCIAL_KINDS = ['decision', 'plan', 'shelter', 'client-record-entry', 'phase-1'];
const MARKS = [DocumentMark.OtherPerson, DocumentMark.SpecialContent, DocumentMark.LocalMainView, DocumentMark.ProfessionalDelay];
const TYPES = ['Patient', 'Encounter', 'EpisodeOfCare', 'DocumentReference', 'MedicationRequest', 'MedicationDispense', 'Observation', 'Consent', 'RelatedPerson'];

/** A registered wellness app (src/pds/wellness-apps.json) allowed body weight, the kind the generated wellness data has; and one never registered. */
const REGISTERED_APP = 'demo-wellness-app';
const UNREGISTERED_APP = 'app-unregistered';

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const marksArb: fc.Arbitrary<Marks> = fc
  .record({ holder: pick(HOLDERS), odd: fc.integer({ min: 0, max: 9 }), origin: fc.constantFrom('kanta', 'kanta', 'local'), docMarks: fc.subarray(MARKS, { maxLength: 2 }) })
  .map(({ holder, odd, origin, docMarks }) => ({
    holder,
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
    if (s.type === 'Encounter') {
      const eps = ofType('EpisodeOfCare', s.patient);
      out.push(encounter(id, s.patient, s.marks, s.day, { episode: s.linkKind === 0 && eps.length ? eps[s.link % eps.length].id : undefined, rp: s.rp }));
    } else if (s.type === 'EpisodeOfCare') out.push(episode(id, s.patient, s.marks, s.day, s.task, { rp: s.rp }));
    else if (s.type === 'DocumentReference') {
      const targets = s.linkKind === 3 ? [] : s.linkKind === 2 ? ofType('EpisodeOfCare', s.patient) : ofType('Encounter', s.patient);
      const t = targets.length ? targets[s.link % targets.length] : undefined;
      out.push(doc(id, s.patient, s.marks, s.day, { encounter: t ? `${t.resourceType}/${t.id}` : undefined, status: s.status as 'current', socialKind: s.socialKind, releaseDate: s.releaseDate, rp: s.rp }));
    } else if (s.type === 'MedicationRequest') out.push(prescription(id, s.patient, s.marks, s.day));
    else if (s.type === 'MedicationDispense') {
      const rxs = ofType('MedicationRequest', s.patient);
      if (rxs.length) out.push(dispense(id, s.patient, s.marks, s.day, rxs[s.link % rxs.length].id as string));
    } else out.push(wellness(id, s.patient, s.day));
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
      recipient: opt(pick(HOLDERS)),
      resourceType: opt(fc.constantFrom('Encounter', 'DocumentReference')),
      period: opt(fc.record({ start: pick(DAYS), end: pick(DAYS) })),
      task: opt(pick(TASKS)),
    }),
    { maxLength: 2 }
  ),
  denies: fc.array(fc.record({ what: fc.integer({ min: 0, max: 3 }), n: fc.nat(), holder: pick(HOLDERS), task: pick(TASKS) }), { minLength: 1, maxLength: 3 }),
  app: fc.constantFrom('demo-wellness-app', 'app-unregistered'),
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
        return { ...consent(ConsentKind.LivingWill, s.patient, { type: 'permit' }, { id }), scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'adr' }] } };
      default: {
        const targets: ConsentProvision[] = s.targets.map((t) => ({
          ...(t.recipient ? recipientTarget(t.recipient) : {}),
          ...(t.resourceType ? { class: [{ system: 'http://hl7.org/fhir/resource-types', code: t.resourceType }] } : {}),
          ...(t.period ? { dataPeriod: t.period } : {}),
          ...(t.task ? { code: [{ coding: [{ system: LocalSystemMore.SocialServiceTask, code: t.task }] }] } : {}),
        }));
        const c = permission(s.kind, s.patient, { id, negative: s.negative, dateTime: s.dateTime, targets: targets.length ? targets : undefined });
        if (!s.negative && s.denies[0].what === 0 && s.denies.length > 1) c.provision?.provision?.push(prohibitionProvision({ holder: s.denies[1].holder }));
        return c;
      }
    }
  });
}

const callerArb: fc.Arbitrary<Caller> = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    kind: fc.constant('professional' as const),
    subject: fc.constant('010180-901T'),
    organization: pick(HOLDERS),
    sector: fc.constantFrom('health' as const, 'social' as const),
    unit: opt(pick(UNITS)),
    pharmacy: fc.boolean().map((b) => (b ? true : undefined)),
    legalBasis: opt(fc.constant('SHL 41 §')),
    patient: opt(pick(PATIENTS)),
    relationship: fc.constantFrom('hoitosuhde', 'hoitosuhde', 'hoitosuhde', undefined),
  }) },
  { weight: 1, arbitrary: pick(PATIENTS).map((p) => ({ kind: 'citizen' as const, patient: p, subject: hetu(BIRTH[p], 991) })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('guardian' as const), patient: pick(PATIENTS), subject: fc.constantFrom(GUARDIAN, GUARDIAN, hetu('1970-01-01', 992)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('proxy' as const), patient: pick(PATIENTS), subject: fc.constant(hetu('1970-02-02', 993)), mandates: fc.subarray(['health', 'social'] as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('app' as const), patient: pick(PATIENTS), subject: fc.constant('app'), clientId: fc.constantFrom(REGISTERED_APP, UNREGISTERED_APP) }) }
);

/** Worlds per backend; HTTP_PROPERTY_RUNS=500 runs a deeper search (minutes), the default keeps the suite quick. */
const RUNS: Record<string, number> = { sqlite: Number(process.env.HTTP_PROPERTY_RUNS ?? 40), postgres: Number(process.env.HTTP_PROPERTY_RUNS ?? 15) };

const holderOf = (r: Resource): string | undefined => r.meta?.security?.find((s) => s.system === LocalSystem.RegisterHolder)?.code;

describe.each(backends())('gateway over HTTP versus the reference oracle (%s)', (backend) => {
  let gw: TestGateway;
  let base: SeededWorld;
  beforeAll(async () => {
    // Thousands of requests a minute from one test client: lift the per-client rate limit.
    gw = await startTestGateway(backend, { RATE_LIMIT_PER_MINUTE: '10000000' });
    base = await seedWorld(gw, organizations());
  });
  afterAll(async () => gw?.close());

  it('D1-D11, C1-C5, P1-P2: search ids, Bundle.total and reads over HTTP equal the oracle for random worlds and callers', async () => {
    const stats = { searches: 0, reads: 0, refusals: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 8, maxLength: 30 }), fc.array(consentArb, { maxLength: 8 }), fc.array(callerArb, { minLength: 4, maxLength: 4 }), async (recordSpecs, consentSpecs, callers) => {
        const records = buildRecords(recordSpecs);
        // Worlds pile up in one gateway; searching from this world's seeding on keeps each query to this world.
        const since = new Date(Date.now() - 1).toISOString();
        const w = await seedWorld(
          gw,
          [
            ...PATIENTS.map((p) => patientOf(p, BIRTH[p])),
            guardianOf('g-kid', 'kid', GUARDIAN),
            guardianOf('g-tot', 'tot', GUARDIAN),
            ...records,
            ...buildConsents(consentSpecs, records),
          ],
          base
        );
        const oracle = new Oracle(w.world);
        for (const [ci, caller] of callers.entries()) {
          const auth = `Bearer ${await gw.token(claimsOf(caller, w))}`;
          const ctx = contextOf(caller, w);
          // P1 with the app registry: an unregistered or unauthorised client is refused outright (the oracle just shows it nothing).
          const appRefused = caller.kind === 'app' && (caller.clientId !== REGISTERED_APP || !oracle.canSee(ctx, w.world.find((r) => r.resourceType === 'Patient' && r.id === ctx.principal.patient)!));
          if (oracle.refuses(ctx) || appRefused) {
            const res = await request(gw.app).get('/fhir/Encounter').set('Authorization', auth);
            expect(res.status).toBe(403);
            expect(res.body.resourceType).toBe('OperationOutcome');
            stats.refusals++;
            continue;
          }
          for (const t of TYPES) {
            const res = await request(gw.app).get(`/fhir/${t}?_count=1000&_lastUpdated=ge${encodeURIComponent(since)}`).set('Authorization', auth);
            expect(res.status, `${JSON.stringify(caller)} ${t}: ${JSON.stringify(res.body).slice(0, 400)}`).toBe(200);
            const b = res.body as Bundle;
            const found = (b.entry ?? []).map((e) => e.resource as Resource);
            expect(b.total).toBe(found.length);
            const ours = found.filter((r) => w.name(t, r.id as string) !== undefined).map((r) => r.id as string).sort();
            expect({ caller, t, ids: ours }).toEqual({ caller, t, ids: oracle.visible(ctx, t) });
            // Records of other worlds (other patients) may show only by D1: the caller's own register.
            for (const r of found.filter((x) => w.name(t, x.id as string) === undefined)) {
              expect({ caller, t, foreign: r.id, holder: holderOf(r) }).toEqual({ caller, t, foreign: r.id, holder: caller.organization });
            }
            stats.searches++;
          }
          for (const r of w.world.filter((x, i) => x.resourceType !== 'Organization' && i % 3 === ci % 3)) {
            const res = await request(gw.app).get(`/fhir/${r.resourceType}/${r.id}`).set('Authorization', auth);
            expect({ caller, ref: `${r.resourceType}/${r.id}`, status: res.status }).toEqual({ caller, ref: `${r.resourceType}/${r.id}`, status: oracle.canSee(ctx, r) ? 200 : 404 });
            stats.reads++;
          }
        }
      }),
      { numRuns: RUNS[backend] }
    );
    // Each run compares about 40-80 answers: the default runs check thousands of answers against the oracle.
    expect(stats.searches + stats.reads).toBeGreaterThan(RUNS[backend] * 20);
  }, 600_000);
});
