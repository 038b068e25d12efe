// One test (or more) per disclosure rule, on the real SQLite store, each cross-checked with the reference oracle.
import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../../src/context.js';
import { createConsentService } from '../../src/consent/consent-service.js';
import { ConsentKind, DocumentMark, RegisterKind } from '../../src/kanta/codes.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import { disagreement, Oracle } from './oracle.js';
import {
  consent,
  ctx,
  dispense,
  doc,
  encounter,
  episode,
  guardianLink,
  mandateLink,
  healthMarks as H,
  informing,
  load,
  NOW,
  openStore,
  Org,
  organizations,
  p1Records,
  patient,
  permission,
  prescription,
  prescriptionProhibition,
  prohibition,
  recipientTarget,
  searchQuery,
  socialMarks as S,
  wellness,
  wellnessApp,
} from './world.js';

const { HUS, TAYS, MEHI, SOS, SOS2, VANTAA, SOS_UNIT, SOS_UNIT_NOFLAG, TAYS_UNIT } = Org;

interface Scenario {
  raw: ResourceStore;
  oracle: Oracle;
  /** Ids of `type` the caller sees through the guarded store; asserts the oracle agrees. */
  seen(c: RequestContext, type: string): Promise<string[]>;
}

async function scenario(resources: Resource[]): Promise<Scenario> {
  const raw = await openStore();
  await load(raw, resources);
  const oracle = new Oracle(resources);
  const service = createConsentService();
  return {
    raw,
    oracle,
    async seen(c, type) {
      const s = await service.forRequest(c, raw);
      const res = await s.store.search(searchQuery(type));
      const ids = res.resources.map((r) => r.id as string).sort();
      expect(disagreement(ids, oracle.expect(c, type)), `oracle disagrees for ${type}`).toBeUndefined();
      expect(res.total).toBe(ids.length);
      return ids;
    },
  };
}

const pro = (organization: string, sector: 'health' | 'social', extra: Partial<Principal> = {}): RequestContext =>
  ctx({ kind: 'professional', subject: '010101-123A', organization, sector, patient: 'p1', relationship: 'hoitosuhde', purposeOfUse: 'TREAT', ...extra });

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OperationOutcomeError);
    const oo = (e as OperationOutcomeError).outcome;
    return `${oo.issue?.[0]?.code}: ${oo.issue?.[0]?.details?.text}`;
  }
  throw new Error('expected a refusal');
}

describe('disclosure to professionals', () => {
  it('D1: a professional sees their own register without any permission, and nothing else', async () => {
    const s = await scenario([...organizations(), ...p1Records()]);
    expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-tays']);
  });

  // Seed 000: "Tietojasi saa käyttää vain, jos ammattilaisella on siihen oikeus asiakas- tai hoitosuhteen tai työtehtävän perusteella."
  it('D9: the justified connection is to the token\'s patient; other patients\' records stay withheld, own register too', async () => {
    const s = await scenario([...organizations(), ...p1Records(), informing('p2'), permission(ConsentKind.PermissionHealth, 'p2')]);
    const seen = await s.seen(pro(TAYS, 'health'), 'Encounter');
    expect(seen).not.toContain('e-p2-tays');
    expect(seen).not.toContain('e-p2');
    expect(await s.seen(pro(TAYS, 'health', { patient: 'p2' }), 'Encounter')).toEqual(['e-p2', 'e-p2-tays']);
  });

  it('D2: a permission without acknowledged informing discloses nothing', async () => {
    const s = await scenario([...organizations(), ...p1Records(), permission(ConsentKind.PermissionHealth, 'p1')]);
    expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-tays']);
  });

  it('D2: informing and a health permission disclose other health registers', async () => {
    const s = await scenario([...organizations(), ...p1Records(), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1')]);
    expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-hus', 'e-hus2', 'e-local', 'e-mehi', 'e-tays']);
    expect(await s.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
  });

  it('D2: a negative permission discloses nothing, even beside a positive one (deny wins)', async () => {
    const s = await scenario([
      ...organizations(),
      ...p1Records(),
      informing('p1'),
      permission(ConsentKind.PermissionHealth, 'p1'),
      permission(ConsentKind.PermissionHealth, 'p1', { negative: true }),
    ]);
    expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-tays']);
  });

  it('D10: a permission given in 2023 covers only data stored in Kanta; one from 2024 covers local data too', async () => {
    const old = await scenario([...organizations(), ...p1Records(), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1', { dateTime: '2023-12-31T20:00:00Z' })]);
    expect(await old.seen(pro(TAYS, 'health'), 'Encounter')).not.toContain('e-local');
    expect(await old.seen(pro(TAYS, 'health'), 'Encounter')).toContain('e-hus');
    const fresh = await scenario([...organizations(), ...p1Records(), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1', { dateTime: '2024-01-01T08:00:00Z' })]);
    expect(await fresh.seen(pro(TAYS, 'health'), 'Encounter')).toContain('e-local');
  });

  it('D3: a prohibition on one visit leaves the other visits visible', async () => {
    const s = await scenario([...organizations(), ...p1Records(), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1'), prohibition('p1', [{ event: 'Encounter/e-hus' }])]);
    expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-hus2', 'e-local', 'e-mehi', 'e-tays']);
    expect(await s.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual(['d-hus2']);
    // Prohibitions bind disclosure only: the register holder still sees its own.
    expect(await s.seen(pro(HUS, 'health'), 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
  });

  it('D3: a prohibition on a register holder or on one document withholds just those', async () => {
    const s = await scenario([
      ...organizations(),
      ...p1Records(),
      informing('p1'),
      permission(ConsentKind.PermissionHealth, 'p1'),
      prohibition('p1', [{ holder: MEHI }, { document: 'd-hus2' }]),
    ]);
    expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-hus', 'e-hus2', 'e-local', 'e-tays']);
    expect(await s.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual(['d-hus']);
  });

  it('D3: a prohibition on a social-care service task withholds all documents of that task', async () => {
    const s = await scenario([...organizations(), ...p1Records(), informing('p1'), permission(ConsentKind.PermissionSocial, 'p1'), prohibition('p1', [{ task: 'child-welfare' }])]);
    expect(await s.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual(['d-adult']);
    expect(await s.seen(pro(SOS2, 'social'), 'EpisodeOfCare')).toEqual(['ep-adult']);
  });

  it('D4: a health permission never discloses social-care data, nor a social permission health data', async () => {
    const s = await scenario([...organizations(), ...p1Records(), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1')]);
    expect(await s.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual([]);
    const t = await scenario([...organizations(), ...p1Records(), informing('p1'), permission(ConsentKind.PermissionSocial, 'p1')]);
    expect(await t.seen(pro(TAYS, 'health'), 'DocumentReference')).toEqual([]);
    expect(await t.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual(['d-adult', 'd-cw']);
  });

  it('D5: health data reaches social care only by the cross-sector permission and a päävastuullinen unit (missing flag = F)', async () => {
    const base = [...organizations(), ...p1Records(), informing('p1')];
    const s = await scenario([...base, permission(ConsentKind.PermissionHealthToSocial, 'p1')]);
    expect(await s.seen(pro(SOS2, 'social', { unit: SOS_UNIT }), 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
    expect(await s.seen(pro(SOS2, 'social', { unit: SOS_UNIT_NOFLAG }), 'DocumentReference')).toEqual([]);
    const none = await scenario(base);
    expect(await none.seen(pro(SOS2, 'social', { unit: SOS_UNIT }), 'DocumentReference')).toEqual([]);
  });

  it('D5: cross-sector targeting by receiving provider, data and time is honoured', async () => {
    const s = await scenario([
      ...organizations(),
      ...p1Records(),
      informing('p1'),
      permission(ConsentKind.PermissionHealthToSocial, 'p1', {
        targets: [{ ...recipientTarget(SOS2), class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Encounter' }], dataPeriod: { start: '2024-02-15', end: '2024-12-31' } }],
      }),
    ]);
    expect(await s.seen(pro(SOS2, 'social', { unit: SOS_UNIT }), 'Encounter')).toEqual(['e-hus2', 'e-local', 'e-mehi', 'e-tays']);
    expect(await s.seen(pro(SOS2, 'social', { unit: SOS_UNIT }), 'DocumentReference')).toEqual([]);
    expect(await s.seen(pro(SOS, 'social'), 'Encounter')).toEqual([]);
  });

  it('D5: social-care data reaches health care only by the social-to-health permission', async () => {
    const s = await scenario([...organizations(), ...p1Records(), informing('p1'), permission(ConsentKind.PermissionSocialToHealth, 'p1', { targets: [{ code: [{ coding: [{ system: 'https://kanta-gateway.example.org/fhir/CodeSystem/social-service-task', code: 'adult-social-work' }] }] }] })]);
    expect(await s.seen(pro(TAYS, 'health', { unit: TAYS_UNIT }), 'DocumentReference')).toEqual(['d-adult']);
  });

  it('D6: prescriptions are usable at a pharmacy without a permission; a prescription prohibition withholds the prohibited ones', async () => {
    const rx = [prescription('rx1', 'p1', H(HUS), '2024-01-01'), prescription('rx2', 'p1', H(HUS), '2024-02-01'), dispense('md1', 'p1', H(HUS), '2024-01-02', 'rx1'), dispense('md2', 'p1', H(HUS), '2024-02-02', 'rx2')];
    const pharmacy = pro(TAYS, 'health', { pharmacy: true });
    const s = await scenario([...organizations(), ...p1Records(), ...rx]);
    expect(await s.seen(pharmacy, 'MedicationRequest')).toEqual(['rx1', 'rx2']);
    expect(await s.seen(pharmacy, 'Encounter')).toEqual(['e-tays']);
    const t = await scenario([...organizations(), ...p1Records(), ...rx, prescriptionProhibition('p1', ['rx2'])]);
    expect(await t.seen(pharmacy, 'MedicationRequest')).toEqual(['rx1']);
    expect(await t.seen(pharmacy, 'MedicationDispense')).toEqual(['md1']);
    expect(await t.seen(pro(HUS, 'health'), 'MedicationRequest')).toEqual(['rx1', 'rx2']);
  });

  it('D7: Uusimaa public health care uses each other\'s registers once informed, without a permission; prohibitions bind', async () => {
    const before = await scenario([...organizations(), ...p1Records()]);
    expect(await before.seen(pro(VANTAA, 'health'), 'Encounter')).toEqual([]);
    const s = await scenario([...organizations(), ...p1Records(), informing('p1')]);
    expect(await s.seen(pro(VANTAA, 'health'), 'Encounter')).toEqual(['e-hus', 'e-hus2', 'e-local']);
    expect(await s.seen(pro(TAYS, 'health'), 'Encounter')).toEqual(['e-tays']);
    expect(await s.seen(pro(MEHI, 'health'), 'Encounter')).toEqual(['e-mehi']);
    const p = await scenario([...organizations(), ...p1Records(), informing('p1'), prohibition('p1', [{ holder: HUS }])]);
    expect(await p.seen(pro(VANTAA, 'health'), 'Encounter')).toEqual([]);
  });

  it('D8: a social-care authority stating its statutory basis gets social-care data without a permission', async () => {
    const s = await scenario([...organizations(), ...p1Records()]);
    expect(await s.seen(pro(SOS2, 'social', { legalBasis: 'Sosiaalihuoltolaki 1301/2014 41 §' }), 'DocumentReference')).toEqual(['d-adult', 'd-cw']);
    expect(await s.seen(pro(SOS2, 'social'), 'DocumentReference')).toEqual([]);
  });

  it('D9: a professional request without a care relationship or purpose is refused with 403', async () => {
    const raw = await openStore();
    const msg = await refusal(createConsentService().forRequest(pro(HUS, 'health', { relationship: undefined, purposeOfUse: undefined }), raw));
    expect(msg).toBe('forbidden: D9: a professional request must state a care or client relationship or another justified purpose');
  });

  it('D11: a withheld read answers exactly as a missing one, and the refusal is recorded', async () => {
    const s = await scenario([...organizations(), ...p1Records()]);
    const session = await createConsentService().forRequest(pro(TAYS, 'health'), s.raw);
    expect(await session.store.read('Encounter', 'e-hus')).toBeUndefined();
    expect(await session.store.read('Encounter', 'no-such')).toBeUndefined();
    expect(await session.store.vread('Encounter', 'e-hus', '1')).toBeUndefined();
    expect((await session.store.history({ resourceType: 'Encounter', id: 'e-hus', count: 10, offset: 0 })).entries).toEqual([]);
    expect(await session.store.read('Encounter', 'e-tays')).toBeDefined();
    expect(session.record().withheld).toEqual([
      { resourceType: 'Encounter', id: 'e-hus' },
      { resourceType: 'Encounter', id: 'e-hus' },
    ]);
    expect(session.record().disclosed.map((r) => r.id)).toEqual(['e-tays']);
    const chained = await session.store.search(searchQuery('DocumentReference', [{ kind: 'chain', code: 'encounter', targetType: 'Encounter', next: { kind: 'param', code: 'date', values: ['ge2000-01-01'] } }]));
    expect(chained.resources).toEqual([]);
    await expect(session.explain({ resourceType: 'Encounter', id: 'e-hus' })).rejects.toThrow('Not found');
  });

  it('P2: wellness data is never disclosed to professionals, not even by D1', async () => {
    const s = await scenario([...organizations(), ...p1Records(), { ...wellness('w1', 'p1', '2024-01-01'), meta: { security: [{ system: 'https://kanta-gateway.example.org/fhir/CodeSystem/register-holder', code: HUS }, { system: 'https://kanta-gateway.example.org/fhir/CodeSystem/register-kind', code: RegisterKind.PersonalDataStore }] } } as Resource]);
    expect(await s.seen(pro(HUS, 'health'), 'Observation')).toEqual([]);
  });

  it('explains a disclosure with the rule and the consent provisions it rests on', async () => {
    const perm = permission(ConsentKind.PermissionHealth, 'p1', { id: 'perm1' });
    const s = await scenario([...organizations(), ...p1Records(), informing('p1', 'inf1'), perm]);
    const session = await createConsentService().forRequest(pro(TAYS, 'health'), s.raw);
    const e = await session.explain({ resourceType: 'DocumentReference', id: 'd-hus' });
    expect(e.decision).toBe('permit');
    expect(e.rules).toEqual(['D2']);
    expect(e.provisions).toEqual([
      { consent: 'Consent/inf1', path: 'provision', type: 'permit' },
      { consent: 'Consent/perm1', path: 'provision', type: 'permit' },
    ]);
    expect(e.text.fi).toContain('luovutuslupa');
  });
});

const citizen = (extra: Partial<Principal> = {}): RequestContext => ctx({ kind: 'citizen', subject: 'hetu-p1', patient: 'p1', ...extra });

describe("the citizen's own view", () => {
  const docs = (): Resource[] => [
    patient('p1', '1980-03-01'),
    encounter('e1', 'p1', H(HUS), '2024-02-01'),
    doc('ok', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1' }),
    doc('old-version', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1', status: 'superseded' }),
    doc('invalidated', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1', status: 'entered-in-error' }),
    doc('unlinked', 'p1', H(HUS), '2024-02-01'),
    doc('delayed', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1', releaseDate: '2025-07-01' }),
    doc('released', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e1', releaseDate: '2025-06-15' }),
    doc('other-person', 'p1', H(HUS, { docMarks: [DocumentMark.OtherPerson] }), '2024-02-01', { encounter: 'Encounter/e1' }),
    doc('local-view', 'p1', H(HUS, { docMarks: [DocumentMark.LocalMainView] }), '2024-02-01', { encounter: 'Encounter/e1' }),
    doc('not-mine', 'p2', H(HUS), '2024-02-01', { encounter: 'Encounter/e1' }),
    episode('ep', 'p1', S(SOS), '2024-01-01', 'adult-social-work'),
    doc('s-decision', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'decision' }),
    doc('s-parenthood', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'parenthood-determination' }),
    doc('s-shelter', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'shelter' }),
    doc('s-payment', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'payment-commitment' }),
    doc('s-entry', 'p1', S(SOS), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'client-record-entry' }),
    doc('s-special', 'p1', S(SOS, { docMarks: [DocumentMark.SpecialContent] }), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'plan' }),
    doc('s-delayed', 'p1', S(SOS, { docMarks: [DocumentMark.ProfessionalDelay] }), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'plan', releaseDate: '2026-01-01' }),
    doc('s-delay-over', 'p1', S(SOS, { docMarks: [DocumentMark.ProfessionalDelay] }), '2024-01-02', { encounter: 'EpisodeOfCare/ep', socialKind: 'plan', releaseDate: '2025-01-01' }),
  ];

  it('C1: a citizen sees only own, linked, latest, valid, released documents without other-person or local-view marks', async () => {
    const s = await scenario([...organizations(), ...docs()]);
    const seen = await s.seen(citizen(), 'DocumentReference');
    expect(seen.filter((id) => !id.startsWith('s-'))).toEqual(['ok', 'released']);
  });

  it('C2: hidden social-care kinds, special content and professional delays are not shown', async () => {
    const s = await scenario([...organizations(), ...docs()]);
    const seen = await s.seen(citizen(), 'DocumentReference');
    expect(seen.filter((id) => id.startsWith('s-'))).toEqual(['s-decision', 's-delay-over']);
  });

  it('C5: a minor acting alone sees own data but cannot give permissions', async () => {
    const s = await scenario([...organizations(), patient('p1', '2010-01-01'), encounter('e1', 'p1', H(HUS), '2024-02-01')]);
    expect(await s.seen(citizen(), 'Encounter')).toEqual(['e1']);
    const session = await createConsentService().forRequest(citizen(), s.raw);
    expect(await refusal(session.store.create(permission(ConsentKind.PermissionHealth, 'p1')))).toBe(
      'forbidden: C5: a minor acting alone cannot give informing acknowledgements, permissions, prohibitions, wills or EU ePrescription consent'
    );
  });

  it('A4: a citizen reads the AuditEvents about their own data, a proxy does not', async () => {
    const ev = { resourceType: 'AuditEvent', id: 'a1', type: { code: 'rest' }, recorded: '2025-01-01T00:00:00Z', agent: [{ requestor: true }], source: { observer: { display: 'gw' } }, entity: [{ what: { reference: 'Patient/p1' } }] } as Resource;
    const s = await scenario([...organizations(), patient('p1'), mandateLink('rpx', 'p1', 'hetu-x', ['health', 'social']), ev]);
    expect(await s.seen(citizen(), 'AuditEvent')).toEqual(['a1']);
    // A4 "ei puolesta asioinnissa käytössä" (seed 003): the proxy's log search is refused outright, naming C4.
    const proxy = await createConsentService().forRequest(ctx({ kind: 'proxy', subject: 'hetu-x', patient: 'p1', mandates: ['health', 'social'] }), s.raw);
    expect(await refusal(proxy.store.search(searchQuery('AuditEvent')))).toBe('forbidden: C4: the disclosure and access log can be read only by the person themselves, not by a guardian or proxy');
  });
});

describe('guardians and proxies', () => {
  const guardian = (child: string): RequestContext => ctx({ kind: 'guardian', subject: 'hetu-g', patient: child });
  const kids = (): Resource[] => [
    guardianLink('rp9', 'k9', 'hetu-g'),
    guardianLink('rp12', 'k12', 'hetu-g'),
    patient('k9', '2016-01-10'),
    patient('k12', '2013-01-10'),
    encounter('k9-2015', 'k9', H(HUS), '2016-07-31'),
    encounter('k9-2020', 'k9', H(HUS), '2020-05-01'),
    encounter('k9-restricted', 'k9', H(HUS), '2021-05-01', { rp: '3' }),
    encounter('k12-under10', 'k12', H(HUS), '2020-05-01'),
    encounter('k12-plain', 'k12', H(HUS), '2024-05-01'),
    encounter('k12-capable-allows', 'k12', H(HUS), '2024-06-01', { rp: '2' }),
    encounter('k12-capable-forbids', 'k12', H(HUS), '2024-07-01', { rp: '3' }),
  ];

  it('C3: the guardian of a 9-year-old sees visits since 2016-08-01, not earlier ones nor restricted ones', async () => {
    const s = await scenario([...organizations(), ...kids()]);
    expect(await s.seen(guardian('k9'), 'Encounter')).toEqual(['k9-2020']);
  });

  it('C3: the guardian of a 12-year-old sees visits after age 10 only with recorded decision capacity allowing it', async () => {
    const s = await scenario([...organizations(), ...kids()]);
    expect(await s.seen(guardian('k12'), 'Encounter')).toEqual(['k12-capable-allows', 'k12-under10']);
  });

  it('C3: a caller with no guardianship of the child is refused', async () => {
    const s = await scenario([...organizations(), ...kids()]);
    const msg = await refusal(createConsentService().forRequest(ctx({ kind: 'guardian', subject: 'hetu-stranger', patient: 'k9' }), s.raw));
    expect(msg).toBe('forbidden: C3: no current guardianship of this minor was found');
  });

  // Seed 003: "Täysi-ikäisen puolesta asiointia varten tarvitaan sähköisesti annettava Suomi.fi-valtuutus."
  it('C4: a proxy acts only with a mandate the store records, and only with the mandates recorded', async () => {
    const s = await scenario([...organizations(), ...p1Records(), mandateLink('rpx', 'p1', 'hetu-x', ['health'])]);
    const stranger = await refusal(createConsentService().forRequest(ctx({ kind: 'proxy', subject: 'hetu-y', patient: 'p1', mandates: ['health'] }), s.raw));
    expect(stranger).toBe('forbidden: C4: no current Suomi.fi mandate to act for this person was found');
    // The token asserts a social mandate the store does not record: only the recorded health mandate counts.
    const both = ctx({ kind: 'proxy', subject: 'hetu-x', patient: 'p1', mandates: ['health', 'social'] });
    expect(await s.seen(both, 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
    const onlySocial = await refusal(createConsentService().forRequest(ctx({ kind: 'proxy', subject: 'hetu-x', patient: 'p1', mandates: ['social'] }), s.raw));
    expect(onlySocial).toBe('forbidden: C4: no current Suomi.fi mandate to act for this person was found');
  });

  it('C4: a proxy with only the health mandate reads no social-care data, and never wills or wellness data', async () => {
    const s = await scenario([
      ...organizations(),
      ...p1Records(),
      wellness('w1', 'p1', '2024-01-01'),
      consent(ConsentKind.LivingWill, 'p1', { type: 'permit' }, { id: 'will' }),
      permission(ConsentKind.PermissionHealth, 'p1', { id: 'perm' }),
      mandateLink('rpx', 'p1', 'hetu-x', ['health', 'social']),
    ]);
    const health = ctx({ kind: 'proxy', subject: 'hetu-x', patient: 'p1', mandates: ['health'] });
    expect(await s.seen(health, 'DocumentReference')).toEqual(['d-hus', 'd-hus2']);
    expect(await s.seen(health, 'EpisodeOfCare')).toEqual([]);
    expect(await s.seen(health, 'Observation')).toEqual([]);
    expect(await s.seen(health, 'Consent')).toEqual(['perm']);
    const social = ctx({ kind: 'proxy', subject: 'hetu-x', patient: 'p1', mandates: ['social'] });
    expect(await s.seen(social, 'DocumentReference')).toEqual(['d-adult', 'd-cw']);
  });
});

describe('citizen actions and their limits', () => {
  const base = (): Resource[] => [...organizations(), patient('p1'), patient('k9', '2016-01-10'), guardianLink('rp9', 'k9', 'hetu-g'), patient('k15', '2010-01-01'), mandateLink('rpx', 'p1', 'hetu-x', ['health'])];
  const guardian = ctx({ kind: 'guardian', subject: 'hetu-g', patient: 'k9' });

  it('C6: a citizen gives and revokes own permissions and prohibitions', async () => {
    const s = await scenario(base());
    const session = await createConsentService().forRequest(citizen(), s.raw);
    // The giver and the time are the caller and the server clock (seed 003), so the body carries neither.
    const created = await session.store.create({ ...prohibition('p1', [{ holder: HUS }]), dateTime: undefined });
    expect(created.dateTime).toBe(NOW.toISOString());
    expect(created.performer).toEqual([{ reference: 'Patient/p1' }]);
    await session.store.update({ ...created, status: 'inactive' });
    await session.store.create({ ...permission(ConsentKind.PermissionHealth, 'p1'), dateTime: undefined });
  });

  it("C6: a citizen cannot write another person's consent", async () => {
    const s = await scenario(base());
    const session = await createConsentService().forRequest(citizen(), s.raw);
    expect(await refusal(session.store.create(permission(ConsentKind.PermissionHealth, 'p2')))).toBe(
      'forbidden: C6: a citizen may only write their own consents, prescription renewal requests and wellness data'
    );
  });

  it('C3: a guardian cannot give prohibitions, wills or EU consent for the child', async () => {
    const s = await scenario(base());
    const session = await createConsentService().forRequest(guardian, s.raw);
    for (const c of [prohibition('k9', [{ holder: HUS }]), consent(ConsentKind.LivingWill, 'k9', { type: 'permit' }), consent(ConsentKind.EuEPrescription, 'k9', { type: 'permit' })]) {
      expect(await refusal(session.store.create(c))).toBe('forbidden: C3: a guardian cannot give prohibitions, living or organ donation wills or EU ePrescription consent for the child');
    }
  });

  it('C3: a guardian revokes a permission they gave, but not one given by someone else', async () => {
    const mine = permission(ConsentKind.PermissionHealth, 'k9', { id: 'mine', performer: 'RelatedPerson/rp9' });
    const theirs = permission(ConsentKind.PermissionSocial, 'k9', { id: 'theirs', performer: 'Patient/k9' });
    const s = await scenario([...base(), mine, theirs]);
    const session = await createConsentService().forRequest(guardian, s.raw);
    await session.store.update({ ...mine, status: 'inactive' });
    expect(await refusal(session.store.update({ ...theirs, status: 'inactive' }))).toBe('forbidden: C3: a guardian can change or revoke only a permission the guardian personally gave');
  });

  it('C4: a proxy cannot write a living will or a prohibition', async () => {
    const s = await scenario(base());
    const session = await createConsentService().forRequest(ctx({ kind: 'proxy', subject: 'hetu-x', patient: 'p1', mandates: ['health'] }), s.raw);
    expect(await refusal(session.store.create(consent(ConsentKind.LivingWill, 'p1', { type: 'permit' })))).toBe(
      'forbidden: C4: a proxy never handles living wills, organ donation wills, prohibitions or wellness data'
    );
    expect(await refusal(session.store.create(prohibition('p1', [{ holder: HUS }])))).toContain('C4');
  });

  it('A3: nobody writes AuditEvents through the guarded store', async () => {
    const s = await scenario(base());
    const session = await createConsentService().forRequest(citizen(), s.raw);
    const ev = { resourceType: 'AuditEvent', type: { code: 'rest' }, recorded: '2025-01-01T00:00:00Z', agent: [{ requestor: true }], source: { observer: { display: 'x' } }, entity: [{ what: { reference: 'Patient/p1' } }] } as Resource;
    expect(await refusal(session.store.create(ev))).toBe('forbidden: A3: AuditEvents cannot be created, changed or deleted through the API');
  });
});

describe('wellness apps', () => {
  const app = ctx({ kind: 'app', subject: 'app-1', clientId: 'app-1', patient: 'p1' });

  it('P1: an authorised app reads and writes the user\'s wellness data; revocation takes effect on the next request', async () => {
    const auth = wellnessApp('p1', 'app-1');
    const s = await scenario([...organizations(), patient('p1'), wellness('w1', 'p1', '2024-01-01'), encounter('e1', 'p1', H(HUS), '2024-02-01'), auth]);
    expect(await s.seen(app, 'Observation')).toEqual(['w1']);
    expect(await s.seen(app, 'Encounter')).toEqual([]);
    const session = await createConsentService().forRequest(app, s.raw);
    const written = await session.store.create({ ...wellness('w2', 'p1', '2024-01-02'), id: undefined, meta: undefined } as Resource);
    expect(written.meta?.security).toContainEqual({ system: 'https://kanta-gateway.example.org/fhir/CodeSystem/register-kind', code: RegisterKind.PersonalDataStore });
    await s.raw.update({ ...auth, status: 'inactive' });
    const after = await createConsentService().forRequest(app, s.raw);
    expect((await after.store.search(searchQuery('Observation'))).resources).toEqual([]);
    expect(await refusal(after.store.create(wellness('w3', 'p1', '2024-01-03')))).toBe("forbidden: P1: the app has no active authorisation to the user's wellness data");
  });
});
