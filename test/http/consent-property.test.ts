// Property test over HTTP: for random worlds, consents and callers, the gateway's search totals, ids and reads equal the reference oracle.
import fc from 'fast-check';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentScopeCode, FhirSystem, LocalSystem } from '../../src/kanta/codes.js';
import { buildConsents, buildRecords, HOLDERS, pick, worldArbitraries } from '../consent/arbitraries.js';
import { Oracle } from '../consent/oracle.js';
import { backends } from '../support/backends.js';
import { type Caller, claimsOf, contextOf, guardianOf, hetu, organizations, patientOf, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const PATIENTS = ['p1', 'kid', 'tot'] as const;
const BIRTH: Record<string, string> = { p1: '1980-03-01', kid: '2013-01-10', tot: '2017-02-10' };
const GUARDIAN = hetu('1984-04-04', 990);
const DAYS = ['2015-05-01', '2016-07-31', '2016-08-01', '2019-06-01', '2022-01-10', '2023-03-03', '2024-02-01', '2025-01-01', '2025-06-15', '2099-09-01'];
const TYPES = ['Patient', 'Encounter', 'EpisodeOfCare', 'DocumentReference', 'MedicationRequest', 'MedicationDispense', 'Observation', 'Consent', 'RelatedPerson'];

/** A registered wellness app (src/pds/wellness-apps.json) allowed body weight, the kind the generated wellness data has; and one never registered. */
const REGISTERED_APP = 'demo-wellness-app';
const UNREGISTERED_APP = 'app-unregistered';

const arb = worldArbitraries({ patients: PATIENTS, days: DAYS, recipients: HOLDERS, apps: [REGISTERED_APP, UNREGISTERED_APP] });
/** The living-will profile (kanta-consent-living-will) requires scope consentscope#adr, which the gateway validates on write. */
const LIVING_WILL_SCOPE = { coding: [{ system: FhirSystem.ConsentScope, code: ConsentScopeCode.Adr }] };

const callerArb: fc.Arbitrary<Caller> = fc.oneof(
  { weight: 4, arbitrary: arb.professional('010180-901T') },
  { weight: 1, arbitrary: pick(PATIENTS).map((p) => ({ kind: 'citizen' as const, patient: p })) },
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
      fc.asyncProperty(fc.array(arb.record, { minLength: 8, maxLength: 30 }), fc.array(arb.consent, { maxLength: 8 }), fc.array(callerArb, { minLength: 4, maxLength: 4 }), async (recordSpecs, consentSpecs, callers) => {
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
            ...buildConsents(consentSpecs, records, { livingWillScope: LIVING_WILL_SCOPE }),
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
