// Disclosure rules D1-D10, C1-C5 and P2 over HTTP through the real gateway, on every storage backend, each cross-checked with the oracle.
import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentKind, DocumentMark, LocalSystem, RegisterKind } from '../../src/kanta/codes.js';
import { disagreement, Oracle } from '../consent/oracle.js';
import {
  consent,
  dispense,
  doc,
  encounter,
  episode,
  informing,
  p1Records,
  permission,
  prescription,
  prescriptionProhibition,
  prohibition,
  recipientTarget,
  wellness,
} from '../consent/world.js';
import { backends } from '../support/backends.js';
import {
  ago,
  auditOf,
  type Caller,
  clientFor,
  contextOf,
  guardianOf,
  healthMarks as H,
  hetu,
  issueText,
  Org,
  organizations,
  patientOf,
  professional as pro,
  seedWorld,
  type SeededWorld,
  socialMarks as S,
  proxyOf,
} from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const { HUS, TAYS, MEHI, SOS, SOS2, VANTAA, SOS_UNIT, SOS_UNIT_NOFLAG, SOS_UNIT_FALSE, TAYS_UNIT } = Org;

const plus = (day: string, years: number, days = 0): string => {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

describe.each(backends())('disclosure rules over HTTP (%s)', (backend) => {
  let gw: TestGateway;
  let base: SeededWorld;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    base = await seedWorld(gw, organizations());
  });
  afterAll(async () => gw?.close());

  /** Seeds one scenario next to the shared organisations; `seen` asserts the gateway agrees with the oracle too. */
  async function scenario(resources: Resource[]) {
    const w = await seedWorld(gw, resources, base);
    const client = clientFor(gw, () => w);
    const oracle = new Oracle(w.world);
    return {
      w,
      client,
      async seen(c: Caller, type: string): Promise<string[]> {
        const got = await client.seen(c, type);
        const local = (ids: string[]) => ids.map((id) => w.name(type, id)).filter((n): n is string => n !== undefined);
        const e = oracle.expect(contextOf(c, w), type);
        expect(disagreement(got, { must: local(e.must), may: local(e.may) }), `oracle disagrees for ${type}`).toBeUndefined();
        return got;
      },
    };
  }

  describe('disclosure to professionals', () => {
    it('D1: a professional sees their own register without any permission, and nothing else', async () => {
      const s = await scenario(p1Records(patientOf));
      expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-tays']);
      expect(await s.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual([]);
    });

    it('D2: a permission without acknowledged informing discloses nothing', async () => {
      const s = await scenario([...p1Records(patientOf), permission(ConsentKind.PermissionHealth, 'p1')]);
      expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-tays']);
    });

    it('D2: informing acknowledged and a health permission disclose the other health registers of that patient only', async () => {
      const s = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1')]);
      expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-hus', 'e-hus2', 'e-local', 'e-mehi', 'e-tays']);
      expect(await s.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
    });

    it('D2: a negative permission discloses nothing, even beside a positive one (deny wins)', async () => {
      const s = await scenario([
        ...p1Records(patientOf),
        informing('p1'),
        permission(ConsentKind.PermissionHealth, 'p1'),
        permission(ConsentKind.PermissionHealth, 'p1', { negative: true }),
      ]);
      expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-tays']);
      const only = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1', { negative: true })]);
      expect(await only.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual([]);
    });

    it('D10: a permission given in 2023 or earlier covers only Kanta data; one given from 2024 covers non-Kanta data too', async () => {
      const old = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1', { dateTime: '2023-12-31T20:00:00Z' })]);
      const oldSeen = await old.seen(pro(TAYS, 'health'), 'Encounter');
      expect(oldSeen).toContain('e-hus');
      expect(oldSeen).not.toContain('e-local');
      const fresh = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1', { dateTime: '2024-01-01T08:00:00Z' })]);
      expect(await fresh.seen(pro(TAYS, 'health'), 'Encounter')).toContain('e-local');
    });

    it('D3: a prohibition on one visit leaves the other visits visible, and the holder still sees its own', async () => {
      const s = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1'), prohibition('p1', [{ event: 'Encounter/e-hus' }])]);
      expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-hus2', 'e-local', 'e-mehi', 'e-tays']);
      expect(await s.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual(['d-hus2']);
      expect(await s.seen(pro(HUS, 'health'), 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
    });

    it('D3: a prohibition on a register holder or on one document withholds just those', async () => {
      const s = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1'), prohibition('p1', [{ holder: MEHI }, { document: 'd-hus2' }])]);
      expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-hus', 'e-hus2', 'e-local', 'e-tays']);
      expect(await s.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual(['d-hus']);
    });

    it('D3: a prohibition on a social-care service task withholds all documents of that task', async () => {
      const s = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionSocial, 'p1'), prohibition('p1', [{ task: 'child-welfare' }])]);
      expect(await s.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual(['d-adult']);
      expect(await s.seen(pro(SOS2, 'social'), 'EpisodeOfCare')).toEqual(['ep-adult']);
      expect(await s.seen(pro(SOS, 'social'), 'DocumentReference')).toEqual(['d-adult', 'd-cw']);
    });

    it('D4: a health permission never discloses social-care data, nor a social permission health data', async () => {
      const s = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1')]);
      expect(await s.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual([]);
      const t = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionSocial, 'p1')]);
      expect(await t.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual([]);
      expect(await t.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual(['d-adult', 'd-cw']);
    });

    it('D5: health data reaches social care only by the cross-sector permission and a päävastuullinen unit (missing or false flag = F)', async () => {
      const s = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionHealthToSocial, 'p1')]);
      expect(await s.seen(pro(SOS2, 'social', { unit: SOS_UNIT }), 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
      expect(await s.seen(pro(SOS2, 'social', { unit: SOS_UNIT_NOFLAG }), 'DocumentReference')).toEqual([]);
      expect(await s.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual([]);
      expect(await s.seen(pro(TAYS, 'health', { unit: SOS_UNIT_FALSE }), 'DocumentReference')).toEqual([]);
      const none = await scenario([...p1Records(patientOf), informing('p1')]);
      expect(await none.seen(pro(SOS2, 'social', { unit: SOS_UNIT }), 'DocumentReference')).toEqual([]);
    });

    it('D5: cross-sector targeting by receiving provider, data and time is honoured', async () => {
      const s = await scenario([
        ...p1Records(patientOf),
        informing('p1'),
        permission(ConsentKind.PermissionHealthToSocial, 'p1', {
          targets: [{ ...recipientTarget(SOS2), class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Encounter' }], dataPeriod: { start: '2024-02-15', end: '2024-12-31' } }],
        }),
      ]);
      expect(await s.seen(pro(SOS2, 'social', { unit: SOS_UNIT }), 'Encounter')).toEqual(['e-hus2', 'e-local', 'e-mehi', 'e-tays']);
      expect(await s.seen(pro(SOS2, 'social', { unit: SOS_UNIT }), 'DocumentReference')).toEqual([]);
      expect(await s.seen(pro(SOS, 'social'), 'Encounter')).toEqual([]);
    });

    it('D5: social-care data reaches health care only by the social-to-health permission, within its service task', async () => {
      const task = { code: [{ coding: [{ system: 'https://kanta-gateway.example.org/fhir/CodeSystem/social-service-task', code: 'adult-social-work' }] }] };
      const s = await scenario([...p1Records(patientOf), informing('p1'), permission(ConsentKind.PermissionSocialToHealth, 'p1', { targets: [task] })]);
      expect(await s.seen(pro(TAYS, 'health', { unit: TAYS_UNIT }), 'DocumentReference')).toEqual(['d-adult']);
      expect(await s.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual([]);
    });

    it('D6: prescriptions are usable at a pharmacy without a permission; a prescription prohibition withholds the prohibited ones from others', async () => {
      const rx = [
        prescription('rx1', 'p1', H(HUS), '2024-01-01'),
        prescription('rx2', 'p1', H(HUS), '2024-02-01'),
        dispense('md1', 'p1', H(HUS), '2024-01-02', 'rx1'),
        dispense('md2', 'p1', H(HUS), '2024-02-02', 'rx2'),
      ];
      const pharmacy = pro(TAYS, 'health', { pharmacy: true });
      const s = await scenario([...p1Records(patientOf), ...rx]);
      expect(await s.seen(pharmacy, 'MedicationRequest')).toEqual(['rx1', 'rx2']);
      expect(await s.seen(pharmacy, 'Encounter')).toEqual(['e-tays']);
      expect(await s.seen(pro(TAYS, 'health'), 'MedicationRequest')).toEqual(['rx1', 'rx2']);
      const t = await scenario([...p1Records(patientOf), ...rx, prescriptionProhibition('p1', ['rx2'])]);
      expect(await t.seen(pharmacy, 'MedicationRequest')).toEqual(['rx1']);
      expect(await t.seen(pharmacy, 'MedicationDispense')).toEqual(['md1']);
      expect(await t.seen(pro(HUS, 'health'), 'MedicationRequest')).toEqual(['rx1', 'rx2']);
    });

    it("D7: Uusimaa public health care uses each other's registers once informed, without a permission; prohibitions still bind", async () => {
      const before = await scenario(p1Records(patientOf));
      expect(await before.seen(pro(VANTAA, 'health'), 'Encounter')).toEqual([]);
      const s = await scenario([...p1Records(patientOf), informing('p1')]);
      expect(await s.seen(pro(VANTAA, 'health'), 'Encounter')).toEqual(['e-hus', 'e-hus2', 'e-local']);
      expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-tays']);
      expect(await s.seen(pro(MEHI, 'health'), 'Encounter')).toEqual(['e-mehi']);
      const p = await scenario([...p1Records(patientOf), informing('p1'), prohibition('p1', [{ holder: HUS }])]);
      expect(await p.seen(pro(VANTAA, 'health'), 'Encounter')).toEqual([]);
    });

    it('D8: a social-care authority gets social-care data without a permission only when it states its legal basis, audited with that basis', async () => {
      const s = await scenario(p1Records(patientOf));
      const basis = 'Sosiaalihuoltolaki 1301/2014 41 §';
      expect(await s.seen(pro(SOS2, 'social', { legalBasis: basis }), 'DocumentReference')).toEqual(['d-adult', 'd-cw']);
      expect(await s.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual([]);
      const requestId = `d8-${backend}-${Date.now()}`;
      const res = await s.client.get(`/fhir/DocumentReference/${s.w.id('DocumentReference/d-cw')}`, pro(SOS2, 'social', { legalBasis: basis }), { 'X-Request-Id': requestId });
      expect(res.status).toBe(200);
      const [event] = await auditOf(gw, requestId);
      expect(event.purposeOfEvent).toContainEqual({ text: basis });
      expect(event.entity?.some((e) => e.description === basis)).toBe(true);
      expect(event.entity?.some((e) => e.what?.reference === s.w.ref('DocumentReference/d-cw'))).toBe(true);
      // Shown to the citizen: the event is about p1, so p1 finds it among their own AuditEvents (A4).
      const mine = await s.client.get('/fhir/AuditEvent?_count=1000', { kind: 'citizen', patient: 'p1' });
      expect(mine.status).toBe(200);
      const seenByCitizen = (mine.body.entry ?? []).map((e: { resource: { entity?: { description?: string }[] } }) => e.resource);
      expect(seenByCitizen.some((ev: { entity?: { description?: string }[] }) => ev.entity?.some((e) => e.description === basis))).toBe(true);
    });

    it('D9: a professional request without a care relationship or purpose is refused with a 403 OperationOutcome', async () => {
      const s = await scenario(p1Records(patientOf));
      const res = await s.client.get('/fhir/Encounter', pro(HUS, 'health', { relationship: undefined, purposeOfUse: undefined }));
      expect(res.status).toBe(403);
      expect(res.body.issue[0].code).toBe('forbidden');
      expect(issueText(res.body)).toBe('D9: a professional request must state a care or client relationship or another justified purpose');
      const fi = await s.client.get('/fhir/Encounter', pro(HUS, 'health', { relationship: undefined, purposeOfUse: undefined }), { 'Accept-Language': 'fi' });
      expect(issueText(fi.body)).toBe('D9: ammattilaisen pyynnön on ilmoitettava hoito- tai asiakassuhde tai muu perusteltu käyttötarkoitus');
    });

    it('P2: wellness data is never disclosed to professionals, not even by D1 or a permission', async () => {
      const w = { ...wellness('w1', 'p1', '2024-01-01'), meta: { security: [{ system: LocalSystem.RegisterHolder, code: HUS }, { system: LocalSystem.RegisterKind, code: RegisterKind.PersonalDataStore }] } } as Resource;
      const s = await scenario([...p1Records(patientOf), w, informing('p1'), permission(ConsentKind.PermissionHealth, 'p1')]);
      expect(await s.seen(pro(HUS, 'health'), 'Observation')).toEqual([]);
      expect(await s.seen(pro(TAYS, 'health'), 'Observation')).toEqual([]);
      expect(await s.seen({ kind: 'citizen', patient: 'p1' }, 'Observation')).toEqual(['w1']);
    });
  });

  describe("the citizen's own view", () => {
    const citizen: Caller = { kind: 'citizen', patient: 'p1' };
    const docs = (): Resource[] => [
      patientOf('p1', '1980-03-01'),
      patientOf('p2', '1980-03-01'),
      encounter('e1', 'p1', H(HUS), '2024-02-01'),
      doc('ok', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1' }),
      doc('old-version', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1', status: 'superseded' }),
      doc('invalidated', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1', status: 'entered-in-error' }),
      doc('unlinked', 'p1', H(HUS), '2024-02-01'),
      doc('delayed', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1', releaseDate: '2099-07-01' }),
      doc('released', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1', releaseDate: '2025-06-15' }),
      doc('other-person', 'p1', H(HUS, { docMarks: [DocumentMark.OtherPerson] }), '2024-02-01', { encounter: 'Encounter/e1' }),
      doc('local-view', 'p1', H(HUS, { docMarks: [DocumentMark.LocalMainView] }), '2024-02-01', { encounter: 'Encounter/e1' }),
      doc('not-mine', 'p2', H(HUS), '2024-02-01'),
      episode('ep', 'p1', S(SOS), '2024-01-01', 'adult-social-work'),
      doc('s-decision', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'decision' }),
      doc('s-parenthood', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'parenthood-determination' }),
      doc('s-shelter', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'shelter' }),
      doc('s-payment', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'payment-commitment' }),
      doc('s-entry', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'client-record-entry' }),
      doc('s-phase1', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'phase-1' }),
      doc('s-special', 'p1', S(SOS, { docMarks: [DocumentMark.SpecialContent] }), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'plan' }),
      doc('s-delayed', 'p1', S(SOS, { docMarks: [DocumentMark.ProfessionalDelay] }), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'plan', releaseDate: '2099-01-01' }),
      doc('s-delay-over', 'p1', S(SOS, { docMarks: [DocumentMark.ProfessionalDelay] }), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'plan', releaseDate: '2025-01-01' }),
    ];

    it('C1: a citizen sees only own, linked, latest, valid, released documents without other-person or local-view marks', async () => {
      const s = await scenario(docs());
      const seen = await s.seen(citizen, 'DocumentReference');
      expect(seen.filter((id) => !id.startsWith('s-'))).toEqual(['ok', 'released']);
      expect(await s.seen(citizen, 'Patient')).toEqual(['p1']);
    });

    it('C2: hidden social-care kinds, special content and professional delays are not shown to the citizen', async () => {
      const s = await scenario(docs());
      const seen = await s.seen(citizen, 'DocumentReference');
      expect(seen.filter((id) => id.startsWith('s-'))).toEqual(['s-decision', 's-delay-over']);
    });

    it('C5: a minor acting alone sees own data but cannot give a permission (403 OperationOutcome)', async () => {
      const s = await scenario([patientOf('m', ago(15, 30)), encounter('e1', 'm', H(HUS), '2024-02-01')]);
      const minor: Caller = { kind: 'citizen', patient: 'm' };
      expect(await s.seen(minor, 'Encounter')).toEqual(['e1']);
      const res = await s.client.post('/fhir/Consent', minor, { ...permission(ConsentKind.PermissionHealth, s.w.id('Patient/m')), id: undefined });
      expect(res.status).toBe(403);
      expect(issueText(res.body)).toBe('C5: a minor acting alone cannot give informing acknowledgements, permissions, prohibitions, wills or EU ePrescription consent');
    });
  });

  describe('guardians and proxies', () => {
    const gHetu = hetu('1985-07-22', 954);
    const guardian = (child: string): Caller => ({ kind: 'guardian', subject: gHetu, patient: child });
    const born9 = ago(9, 60);
    const born12 = ago(12, 60);
    const tenth12 = plus(born12, 10);
    const kids = (): Resource[] => [
      patientOf('k9', born9),
      patientOf('k12', born12),
      guardianOf('rp9', 'k9', gHetu),
      guardianOf('rp12', 'k12', gHetu),
      encounter('k9-a', 'k9', H(HUS), plus(born9, 1)),
      encounter('k9-restricted', 'k9', H(HUS), plus(born9, 2), { rp: '3' }),
      encounter('k12-before-2016-08', 'k12', H(HUS), '2016-07-31'),
      encounter('k12-after-2016-08', 'k12', H(HUS), '2016-08-01'),
      encounter('k12-after10-plain', 'k12', H(HUS), plus(tenth12, 0, 20)),
      encounter('k12-after10-capable-allows', 'k12', H(HUS), plus(tenth12, 0, 30), { rp: '2' }),
      encounter('k12-after10-not-capable', 'k12', H(HUS), plus(tenth12, 0, 35), { rp: '1' }),
      encounter('k12-after10-capable-forbids', 'k12', H(HUS), plus(tenth12, 0, 40), { rp: '3' }),
      encounter('k12-after10-unknown', 'k12', H(HUS), plus(tenth12, 0, 45), { rp: '4' }),
    ];

    it('C3: the guardian of a 9-year-old sees the visits, but not those restricted from the guardian', async () => {
      const s = await scenario(kids());
      expect(await s.seen(guardian('k9'), 'Encounter')).toEqual(['k9-a']);
    });

    it('C3: the guardian of a 12-year-old sees visits since 2016-08-01 before age 10, and later ones only with recorded decision capacity allowing it', async () => {
      const s = await scenario(kids());
      expect(await s.seen(guardian('k12'), 'Encounter')).toEqual(['k12-after-2016-08', 'k12-after10-capable-allows', 'k12-after10-not-capable']);
      // C5, seed 003: "alaikäisille itselleen näytetään 1.8.2016 jälkeen syntyneet tiedot": the child sees own visits from that day on.
      const own = await s.seen({ kind: 'citizen', patient: 'k12' }, 'Encounter');
      expect(own).toHaveLength(6);
      expect(own).not.toContain('k12-before-2016-08');
    });

    it('C3: a caller with no guardianship of the child is refused with a 403 OperationOutcome', async () => {
      const s = await scenario(kids());
      const res = await s.client.get('/fhir/Encounter', { kind: 'guardian', subject: hetu('1970-01-01', 956), patient: 'k9' });
      expect(res.status).toBe(403);
      expect(issueText(res.body)).toBe('C3: no current guardianship of this minor was found');
    });

    it('C4: a proxy with only the health mandate reads no social-care data, and never wills or wellness data', async () => {
      const s = await scenario([
        ...p1Records(patientOf),
        wellness('w1', 'p1', '2024-01-01'),
        consent(ConsentKind.LivingWill, 'p1', { type: 'permit' }, { id: 'will' }),
        permission(ConsentKind.PermissionHealth, 'p1', { id: 'perm' }),
        proxyOf('rpx', 'p1', hetu('1970-02-02', 957), ['health', 'social']),
      ]);
      const health: Caller = { kind: 'proxy', subject: hetu('1970-02-02', 957), patient: 'p1', mandates: ['health'] };
      expect(await s.seen(health, 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
      expect(await s.seen(health, 'EpisodeOfCare')).toEqual([]);
      expect(await s.seen(health, 'Observation')).toEqual([]);
      expect(await s.seen(health, 'Consent')).toEqual(['perm']);
      const read = await s.client.get(`/fhir/DocumentReference/${s.w.id('DocumentReference/d-cw')}`, health);
      expect(read.status).toBe(404);
      const social: Caller = { ...health, mandates: ['social'] };
      expect(await s.seen(social, 'DocumentReference')).toEqual(['d-adult', 'd-cw']);
    });
  });
});
