// Property test: over random populations, consents and callers, the guarded SQL store answers exactly as the oracle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../../src/context.js';
import { createConsentService } from '../../src/consent/consent-service.js';
import { buildConsents, buildRecords, HOLDERS, pick, worldArbitraries } from './arbitraries.js';
import { Oracle } from './oracle.js';
import { ctx, guardianLink, load, openStore, Org, organizations, patient, searchQuery } from './world.js';

const PATIENTS = ['p1', 'kid', 'tot'];
const DAYS = ['2015-05-01', '2016-07-31', '2016-08-01', '2019-06-01', '2022-01-10', '2023-01-10', '2023-03-03', '2024-02-01', '2025-01-01', '2025-06-15', '2025-09-01'];
const arb = worldArbitraries({ patients: PATIENTS, days: DAYS, recipients: [...HOLDERS, Org.SOS2], apps: ['app-1', 'app-2'] });

const callerArb: fc.Arbitrary<Partial<Principal> & Pick<Principal, 'kind'>> = fc.oneof(
  arb.professional('hetu-pro'),
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
        fc.array(arb.record, { minLength: 10, maxLength: 45 }),
        fc.array(arb.consent, { maxLength: 9 }),
        fc.array(callerArb, { minLength: 20, maxLength: 20 }),
        async (recordSpecs, consentSpecs, callers) => {
          const records = buildRecords(recordSpecs);
          const world: Resource[] = [
            ...organizations(),
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
