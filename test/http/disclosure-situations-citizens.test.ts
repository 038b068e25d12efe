// Issue 11, situations 3-7 and 11 and its "Also" paragraph over HTTP: guardians, minors, citizens and proxies (SPEC §3 C3-C6, D10, S1, A4).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Consent, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentKind, DataOrigin } from '../../src/kanta/codes.js';
import { doc, encounter, informing, permission } from '../consent/world.js';
import { backends } from '../support/backends.js';
import {
  ago,
  type Caller,
  type Client,
  clientFor,
  guardianOf,
  healthMarks as H,
  hetu,
  Org,
  organizations,
  patientOf,
  professional,
  seedWorld,
  type SeededWorld,
  proxyOf,
} from '../support/consent-fixtures.js';
import { dispense, entriesOf, expectRefusal, labResult, prescriptionOn, renewalTask } from '../support/situation-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const { HUS, TAYS } = Org;

const plus = (day: string, years: number, days = 0): string => {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

/** A profile example re-pointed at a seeded patient, without id, dateTime and performer (the server sets those). */
function example(name: string, patientRef: string): Consent {
  const r = JSON.parse(readFileSync(join(import.meta.dirname, '../../profiles/examples', `${name}.valid.json`), 'utf8')) as Consent;
  const { id: _id, dateTime: _d, performer: _p, meta: _m, ...rest } = r;
  return { ...rest, patient: { reference: patientRef } } as Consent;
}

// People. Every citizen token's sub is the HETU of its own Patient (SPEC S1).
const MAIJA = hetu('1980-03-01', 901);
const ELSA = hetu('1940-05-05', 902);
/** Born 2013-01-15: a visit of 2016-03-10 (age 3) falls before the 2016-08-01 start, one of 2017-06-01 (age 4) after it. */
const TEEN_BORN = '2013-01-15';
const TEEN = hetu(TEEN_BORN, 903);
const G_A = hetu('1985-07-22', 904);
const G_B = hetu('1986-08-23', 905);
const CHILD_BORN = ago(9, 60);
const CHILD = hetu(CHILD_BORN, 906);
const K15_BORN = ago(15, 10);
const K15 = hetu(K15_BORN, 907);

const world = (): Resource[] => [
  patientOf('maija', '1980-03-01', MAIJA),
  patientOf('elsa', '1940-05-05', ELSA),
  patientOf('teen', TEEN_BORN, TEEN),
  patientOf('child', CHILD_BORN, CHILD),
  patientOf('k15', K15_BORN, K15),
  guardianOf('rpA-teen', 'teen', G_A),
  guardianOf('rpA-child', 'child', G_A),
  guardianOf('rpB-child', 'child', G_B),
  guardianOf('rpA-k15', 'k15', G_A),
  // Suomi.fi mandates of the proxies acting for Elsa (C4: verified against the store).
  proxyOf('rpx-social', 'elsa', hetu('1970-02-02', 908), ['social']),
  proxyOf('rpx-both', 'elsa', hetu('1970-02-02', 909), ['health', 'social']),
  // 3, 5: the teen's records of every type from before and after 2016-08-01.
  encounter('e-pre', 'teen', H(HUS), '2016-03-10'),
  doc('d-pre', 'teen', H(HUS), '2016-03-10', { encounter: 'Encounter/e-pre' }),
  labResult('o-pre', 'teen', H(HUS), '2016-03-10', 'Encounter/e-pre'),
  prescriptionOn('rx-pre', 'teen', H(HUS), '2016-03-10', { encounter: 'Encounter/e-pre' }),
  dispense('md-pre', 'teen', H(HUS), '2016-03-11', 'rx-pre'),
  renewalTask('t-pre', 'teen', H(HUS), '2016-03-12', 'rx-pre'),
  // ... also where a decision on the guardian's view was recorded (1 not capable, 2 capable and allows): the date still rules.
  encounter('e-pre-rp1', 'teen', H(HUS), '2016-03-10', { rp: '1' }),
  // ... and a visit whose period is a bare date, as CDA-derived visits often are.
  { ...encounter('e-pre-day', 'teen', H(HUS), '2016-03-10'), period: { start: '2016-03-10' } } as Resource,
  doc('d-pre-rp2', 'teen', H(HUS), '2016-03-10', { encounter: 'Encounter/e-pre-rp1', rp: '2' }),
  encounter('e-post', 'teen', H(HUS), '2017-06-01'),
  doc('d-post', 'teen', H(HUS), '2017-06-01', { encounter: 'Encounter/e-post' }),
  labResult('o-post', 'teen', H(HUS), '2017-06-01', 'Encounter/e-post'),
  prescriptionOn('rx-post', 'teen', H(HUS), '2017-06-01', { encounter: 'Encounter/e-post' }),
  dispense('md-post', 'teen', H(HUS), '2017-06-02', 'rx-post'),
  renewalTask('t-post', 'teen', H(HUS), '2017-06-03', 'rx-post'),
  // 3: a child now under 10 cannot have a genuine pre-2016 record on today's clock; a mis-filed one (dated before the
  // child's birth) must stay hidden all the same, of every type.
  encounter('ec-pre', 'child', H(HUS), '2016-03-10'),
  { ...encounter('ec-pre-day', 'child', H(HUS), '2016-03-10'), period: { start: '2016-03-10', end: '2016-03-10' } } as Resource,
  doc('dc-pre', 'child', H(HUS), '2016-03-10', { encounter: 'Encounter/ec-pre' }),
  labResult('oc-pre', 'child', H(HUS), '2016-03-10', 'Encounter/ec-pre'),
  prescriptionOn('rxc-pre', 'child', H(HUS), '2016-03-10', { encounter: 'Encounter/ec-pre' }),
  dispense('mdc-pre', 'child', H(HUS), '2016-03-11', 'rxc-pre'),
  renewalTask('tc-pre', 'child', H(HUS), '2016-03-12', 'rxc-pre'),
  // 4: the child's visit the minor restricted from the guardian (RestrictionParent 3), and everything recorded on it (no marks of their own).
  encounter('ev-ok', 'child', H(HUS), plus(CHILD_BORN, 1)),
  doc('dv-ok', 'child', H(HUS), plus(CHILD_BORN, 1), { encounter: 'Encounter/ev-ok' }),
  encounter('ev-rp3', 'child', H(HUS), plus(CHILD_BORN, 2), { rp: '3' }),
  doc('dv-rp3', 'child', H(HUS), plus(CHILD_BORN, 2), { encounter: 'Encounter/ev-rp3' }),
  labResult('ov-rp3', 'child', H(HUS), plus(CHILD_BORN, 2), 'Encounter/ev-rp3'),
  prescriptionOn('rxv-rp3', 'child', H(HUS), plus(CHILD_BORN, 2), { encounter: 'Encounter/ev-rp3' }),
  dispense('mdv-rp3', 'child', H(HUS), plus(CHILD_BORN, 2, 1), 'rxv-rp3'),
  renewalTask('tv-rp3', 'child', H(HUS), plus(CHILD_BORN, 2, 2), 'rxv-rp3'),
  // 7: Maija's visits in Kanta and outside it (a local record); 11: Elsa's visit; Also: Elsa's and the teen's prescriptions.
  encounter('e-m-kanta', 'maija', H(HUS), '2024-02-01'),
  encounter('e-m-local', 'maija', H(HUS, { origin: DataOrigin.Local }), '2024-06-01'),
  encounter('e-elsa', 'elsa', H(HUS), '2024-02-01'),
  prescriptionOn('rx-elsa', 'elsa', H(HUS), '2024-03-01'),
  prescriptionOn('rx-k15', 'k15', H(HUS), '2024-03-01'),
  // 7: p7 gave a permission at 2023-12-31T23:30Z (2024-01-01 01:30 in Helsinki), p7b at 21:30Z (2023-12-31 23:30 in Helsinki).
  patientOf('p7', '1979-01-01'),
  encounter('e7-kanta', 'p7', H(HUS), '2024-02-01'),
  encounter('e7-local', 'p7', H(HUS, { origin: DataOrigin.Local }), '2024-06-01'),
  informing('p7'),
  permission(ConsentKind.PermissionHealth, 'p7', { dateTime: '2023-12-31T23:30:00Z' }),
  patientOf('p7b', '1979-02-01'),
  encounter('e7b-kanta', 'p7b', H(HUS), '2024-02-01'),
  encounter('e7b-local', 'p7b', H(HUS, { origin: DataOrigin.Local }), '2024-06-01'),
  informing('p7b'),
  permission(ConsentKind.PermissionHealth, 'p7b', { dateTime: '2023-12-31T21:30:00Z' }),
];

const TEEN_PRE = ['Encounter/e-pre-day', 'Encounter/e-pre', 'Encounter/e-pre-rp1', 'DocumentReference/d-pre-rp2', 'DocumentReference/d-pre', 'Observation/o-pre', 'MedicationRequest/rx-pre', 'MedicationDispense/md-pre', 'Task/t-pre'];
const TEEN_POST = ['Encounter/e-post', 'DocumentReference/d-post', 'Observation/o-post', 'MedicationRequest/rx-post', 'MedicationDispense/md-post', 'Task/t-post'];
const RP3_LINKED = ['Encounter/ev-rp3', 'DocumentReference/dv-rp3', 'Observation/ov-rp3', 'MedicationRequest/rxv-rp3', 'MedicationDispense/mdv-rp3', 'Task/tv-rp3'];

describe.each(backends())('issue 11 situations: guardians, minors, citizens and proxies (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  let c: Client;
  const read = (ref: string, who: Caller) => c.get(`/fhir/${ref.split('/')[0]}/${w.id(ref)}`, who);
  const maija: Caller = { kind: 'citizen', subject: MAIJA, patient: 'maija' };
  const guardianA = (child: string): Caller => ({ kind: 'guardian', subject: G_A, patient: child });
  const guardianB = (child: string): Caller => ({ kind: 'guardian', subject: G_B, patient: child });
  const teenAlone: Caller = { kind: 'citizen', subject: TEEN, patient: 'teen' };
  const childAlone: Caller = { kind: 'citizen', subject: CHILD, patient: 'child' };

  /**
   * The guardian/minor sees none of `hidden` and all of `shown` by read, by search of each type and through $everything;
   * batch GETs and $disclosure of a hidden record answer 404 as for a missing one (D11).
   * Every deviation is collected, so one failure lists all the leaks at once.
   */
  async function expectView(who: Caller, patient: string, hidden: string[], shown: string[]): Promise<void> {
    const problems: string[] = [];
    for (const ref of hidden) {
      const res = await read(ref, who);
      if (res.status !== 404) problems.push(`read ${ref}: ${res.status}`);
    }
    for (const ref of shown) {
      const res = await read(ref, who);
      if (res.status !== 200) problems.push(`read ${ref}: ${res.status} (expected 200)`);
    }
    const p = w.ref(`Patient/${patient}`);
    for (const type of new Set([...hidden, ...shown].map((r) => r.split('/')[0]))) {
      const seen = await c.seen(who, type, `patient=${p}`);
      for (const ref of hidden.filter((r) => r.startsWith(`${type}/`))) if (seen.includes(ref.split('/')[1])) problems.push(`search ${type} shows ${ref}`);
      for (const ref of shown.filter((r) => r.startsWith(`${type}/`))) if (!seen.includes(ref.split('/')[1])) problems.push(`search ${type} lacks ${ref}`);
    }
    const all = await c.get(`/fhir/Patient/${w.id(`Patient/${patient}`)}/$everything`, who);
    expect(all.status).toBe(200);
    const got = entriesOf(all.body, w);
    for (const ref of hidden) if (got.includes(ref) || JSON.stringify(all.body).includes(w.ref(ref))) problems.push(`$everything shows ${ref}`);
    for (const ref of shown) if (!got.includes(ref)) problems.push(`$everything lacks ${ref}`);
    const batch = await c.post('/fhir', who, { resourceType: 'Bundle', type: 'batch', entry: hidden.map((ref) => ({ request: { method: 'GET', url: w.ref(ref) } })) });
    expect(batch.status).toBe(200);
    ((batch.body as Bundle).entry ?? []).forEach((e, i) => {
      if (!e.response?.status.startsWith('404')) problems.push(`batch GET ${hidden[i]}: ${e.response?.status}`);
    });
    for (const ref of hidden) {
      const res = await c.get(`/fhir/Patient/${w.id(`Patient/${patient}`)}/$disclosure?resource=${encodeURIComponent(w.ref(ref))}`, who);
      if (res.status !== 404) problems.push(`$disclosure ${ref}: ${res.status}`);
    }
    expect(problems).toEqual([]);
  }

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const base = await seedWorld(gw, organizations());
    w = await seedWorld(gw, world(), base);
    c = clientFor(gw, () => w);
  });
  afterAll(async () => gw?.close());

  describe('3. a guardian and data from before 2016-08-01', () => {
    // Seed 003: "Mikäli käynti terveydenhuollossa on tapahtunut 1.8.2016 jälkeen ja lapsen ollessa alle 10-vuotias, tiedot
    // näkyvät Omakannassa. Toisin sanoen alle 10-vuotiaiden lasten huoltajille ... näytetään 1.8.2016 jälkeen syntyneet tiedot."
    it("C3: the guardian sees none of the child's records of 2016-03-10, of any type, by read, search or $everything", async () => {
      await expectView(guardianA('teen'), 'teen', TEEN_PRE, TEEN_POST);
    });

    // Seed 003 (as above): the date rules for a child under 10 too.
    it('C3: the guardian of a child now under 10 sees none of its records dated 2016-03-10, of any type', async () => {
      const pre = ['Encounter/ec-pre-day', 'Encounter/ec-pre', 'DocumentReference/dc-pre', 'Observation/oc-pre', 'MedicationRequest/rxc-pre', 'MedicationDispense/mdc-pre', 'Task/tc-pre'];
      await expectView(guardianA('child'), 'child', pre, ['Encounter/ev-ok', 'DocumentReference/dv-ok']);
    });
  });

  describe('4. a restriction from the guardian on a visit', () => {
    // Seed 001: "Päätöskykyinen nuori saa itse valita, näkyvätkö hänen tietonsa huoltajalle OmaKannassa. Jos nuori ei voi
    // päättää hoidostaan yksin, näkee myös huoltaja käynnin tiedot, kuten lääkärin kirjaukset ja käynnillä määrätyt
    // reseptit." (the visit's data travel with the visit); seed 004: "Ammattihenkilö voi ... rajata näkymistä lapsen huoltajalle".
    it('C3/D3: RestrictionParent 3 on a visit hides everything recorded on it from the guardian, documents without a mark of their own included', async () => {
      await expectView(guardianA('child'), 'child', RP3_LINKED, ['Encounter/ev-ok', 'DocumentReference/dv-ok']);
    });
  });

  describe('5. a minor acting alone', () => {
    // Seed 003: "Toisin sanoen alle 10-vuotiaiden lasten huoltajille ja alaikäisille itselleen näytetään 1.8.2016 jälkeen syntyneet tiedot."
    it('C5: a minor acting alone sees none of their own records from before 2016-08-01, of any type', async () => {
      await expectView(teenAlone, 'teen', TEEN_PRE, TEEN_POST);
    });
  });

  describe('6. who gave a permission', () => {
    const countConsents = async (who: Caller, patient: string) =>
      ((await c.get(`/fhir/Consent?patient=${w.ref(`Patient/${patient}`)}&_summary=count`, who)).body as Bundle).total;

    // Seed 003: "puolesta-asioinnissa huoltaja voi perua vain itse antamansa luovutusluvan (ei alaikäisen itsensä tai toisen
    // huoltajan antamaa luovutuslupaa)": the giver must be the guardian who acts, so a body naming someone else is refused.
    it('C3/C6: a guardian cannot record a permission as given by the child or by the other guardian; nothing is stored', async () => {
      const before = await countConsents(guardianA('child'), 'child');
      for (const performer of [w.ref('Patient/child'), w.ref('RelatedPerson/rpB-child')]) {
        const body = { ...example('kanta-consent-permission-health', w.ref('Patient/child')), performer: [{ reference: performer }] };
        const res = await c.post('/fhir/Consent', guardianA('child'), body);
        expectRefusal(res, [400, 403], /C3|C6|performer/);
      }
      expect(await countConsents(guardianA('child'), 'child')).toBe(before);
    });

    // Seed 003 (as above). SPEC C3: "can revoke only a permission the guardian personally gave".
    it('C3: the giver is taken from the token: the other guardian cannot revoke it (403 naming C3), the giver can', async () => {
      const t0 = Date.now();
      const given = await c.post('/fhir/Consent', guardianA('child'), example('kanta-consent-permission-health', w.ref('Patient/child')));
      const t1 = Date.now();
      expect(given.status, JSON.stringify(given.body).slice(0, 600)).toBe(201);
      const stored = given.body as Consent;
      const performer = stored.performer?.[0];
      expect([w.ref('RelatedPerson/rpA-child'), G_A]).toContain(performer?.reference ?? performer?.identifier?.value);
      const at = Date.parse(stored.dateTime ?? '');
      expect(at).toBeGreaterThanOrEqual(t0 - 2000);
      expect(at).toBeLessThanOrEqual(t1 + 2000);
      const byOther = await c.put(`/fhir/Consent/${stored.id}`, guardianB('child'), { ...stored, status: 'inactive' });
      expectRefusal(byOther, 403, /\bC3\b/);
      const byGiver = await c.put(`/fhir/Consent/${stored.id}`, guardianA('child'), { ...stored, status: 'inactive' });
      expect(byGiver.status, JSON.stringify(byGiver.body).slice(0, 600)).toBe(200);
    });

    // Seed 003: "Luovutuslupa o ei alaikäisellä käytössä".
    it('C5: a minor acting alone cannot give a permission (403 naming C5)', async () => {
      const res = await c.post('/fhir/Consent', childAlone, example('kanta-consent-permission-health', w.ref('Patient/child')));
      expectRefusal(res, 403, /\bC5\b/);
      const teen = await c.post('/fhir/Consent', teenAlone, example('kanta-consent-permission-health', w.ref('Patient/teen')));
      expectRefusal(teen, 403, /\bC5\b/);
    });

    // Issue 11: "The performer and dateTime of a Consent written by a citizen, guardian or proxy come from the verified
    // token and the server clock (a body that contradicts them is refused)"; seed 000: a permission "vuonna 2023 tai
    // aiemmin" covers less, so a back-dated body would change what it covers.
    it('C6/D10: a citizen cannot back-date a permission nor name another giver; nothing is stored', async () => {
      const before = await countConsents(maija, 'maija');
      const backDated = await c.post('/fhir/Consent', maija, { ...example('kanta-consent-permission-health', w.ref('Patient/maija')), dateTime: '2023-06-01T10:00:00Z' });
      expectRefusal(backDated, [400, 403], /C6|D10|dateTime/);
      const otherGiver = await c.post('/fhir/Consent', maija, { ...example('kanta-consent-permission-health', w.ref('Patient/maija')), performer: [{ reference: w.ref('Patient/elsa') }] });
      expectRefusal(otherGiver, [400, 403], /C6|performer/);
      expect(await countConsents(maija, 'maija')).toBe(before);
    });
  });

  describe('7. permission dates', () => {
    const tays = (patient: string): Caller => professional(TAYS, 'health', { patient });

    // Seed 000: "Vuoden 2024 alusta alkaen luovutusluvalla on voitu luovuttaa myös sellaisia tietoja, jotka eivät ole
    // Kannassa." A permission given now (dated by the server clock) is a 2024+ permission.
    it('D10: a permission sent without dateTime gets the server time and covers non-Kanta data', async () => {
      const p = w.ref('Patient/maija');
      const t0 = Date.now();
      const inf = await c.post('/fhir/Consent', maija, example('kanta-consent-informing', p));
      expect(inf.status, JSON.stringify(inf.body).slice(0, 600)).toBe(201);
      const perm = await c.post('/fhir/Consent', maija, example('kanta-consent-permission-health', p));
      expect(perm.status, JSON.stringify(perm.body).slice(0, 600)).toBe(201);
      const at = Date.parse((perm.body as Consent).dateTime ?? '');
      expect(at).toBeGreaterThanOrEqual(t0 - 2000);
      expect(at).toBeLessThanOrEqual(Date.now() + 2000);
      expect((perm.body as Consent).performer?.[0]?.reference).toBe(p);
      expect.soft(await c.seen(tays('maija'), 'Encounter', `patient=${p}`)).toEqual(['e-m-kanta', 'e-m-local']);
    });

    // Seed 000: "Jos olet antanut luovutusluvan vuonna 2023 tai aiemmin, se kannattaa päivittää" — the year is the
    // citizen's, in Finnish time: 2023-12-31T23:30:00Z is 1.1.2024 01:30 in Helsinki.
    it('D10: a permission given at 2023-12-31T23:30:00Z counts as 2024 (Europe/Helsinki); one at 21:30Z as 2023', async () => {
      expect.soft(await c.seen(tays('p7'), 'Encounter', `patient=${w.ref('Patient/p7')}`)).toEqual(['e7-kanta', 'e7-local']);
      expect.soft(await c.seen(tays('p7b'), 'Encounter', `patient=${w.ref('Patient/p7b')}`)).toEqual(['e7b-kanta']);
    });
  });

  describe('11. a citizen token for someone else', () => {
    // Seed 003: "Omakanta näyttää vain niiden asiakirjojen tietoja, joissa potilaan henkilötunnukseksi on merkitty
    // Omakantaan kirjautuneen henkilön henkilötunnus"; SPEC S1: "A citizen acts only for the Patient whose HETU is the token's subject."
    it("S1/C1: a citizen token whose sub is Maija's HETU and whose patient is Elsa is refused (403) and sees nothing of Elsa", async () => {
      const forged: Caller = { kind: 'citizen', subject: MAIJA, patient: 'elsa' };
      const res = await read('Patient/elsa', forged);
      expectRefusal(res, 403, /patient|sub|S1|C1/);
      expect(JSON.stringify(res.body)).not.toContain(ELSA);
      for (const path of [`/fhir/Encounter?patient=${w.ref('Patient/elsa')}`, `/fhir/Patient/${w.id('Patient/elsa')}/$everything`, '/fhir/Patient?_count=100']) {
        const r = await c.get(path, forged);
        expect(r.status, path).toBe(403);
        expect(JSON.stringify(r.body), path).not.toContain(ELSA);
        expect(JSON.stringify(r.body), path).not.toContain(w.id('Encounter/e-elsa'));
      }
      // Control: the same person acting for herself.
      expect((await read('Patient/maija', maija)).status).toBe(200);
    });
  });

  describe('Also: forbidden actions are 403 naming the rule', () => {
    const renewal = (rx: string, patient: string) => ({
      ...(JSON.parse(readFileSync(join(import.meta.dirname, '../../profiles/examples/kanta-renewal-task.valid.json'), 'utf8')) as Resource),
      id: undefined,
      focus: { reference: w.ref(`MedicationRequest/${rx}`) },
      for: { reference: w.ref(`Patient/${patient}`) },
      requester: { reference: w.ref(`Patient/${patient}`) },
      owner: { reference: w.ref(`Organization/${HUS}`) },
    });

    // Seed 003: "Omakannassa voi asioida toisen aikuisen puolesta Suomi.fi:n Terveydenhuollon asioiden hoito -valtuudella.
    // Se oikeuttaa katselemaan, ilmoittamaan ja vastaanottamaan valtuuttajan terveydentilaan liittyviä tietoja
    // terveydenhuollon palveluissa." A prescription renewal is health care; the social-care mandate does not reach it.
    it('C4: a proxy with only the social-care mandate requesting a prescription renewal gets 403 naming C4, not 400', async () => {
      const social: Caller = { kind: 'proxy', subject: hetu('1970-02-02', 908), patient: 'elsa', mandates: ['social'] };
      const res = await c.post('/fhir/Task', social, renewal('rx-elsa', 'elsa'));
      expectRefusal(res, 403, /\bC4\b/);
    });

    // Seed 003: "reseptejä koskevat luovutuskiellot o ei käytössä puolesta asioinnissa o ei käytössä alaikäisellä".
    it("C3: a guardian's prescription prohibition for a teen gets 403 naming C3", async () => {
      const body = {
        ...example('kanta-consent-prescription-prohibition', w.ref('Patient/k15')),
        provision: { type: 'deny', data: [{ meaning: 'instance', reference: { reference: w.ref('MedicationRequest/rx-k15') } }] },
      };
      const res = await c.post('/fhir/Consent', guardianA('k15'), body);
      expectRefusal(res, 403, /\bC3\b/);
    });

    // Seed 003: "Omakanta näyttää vain niiden asiakirjojen tietoja, joissa potilaan henkilötunnukseksi on merkitty
    // Omakantaan kirjautuneen henkilön henkilötunnus"; SPEC C6 lists only the citizen's own actions.
    it("C6: a citizen's consent for another person gets 403 naming C6, not 400 'Unknown reference'", async () => {
      const res = await c.post('/fhir/Consent', maija, example('kanta-consent-permission-health', w.ref('Patient/child')));
      expectRefusal(res, 403, /\bC6\b/);
    });

    // Seed 003: "terveystietojen luovutustiedot (ei puolesta asioinnissa käytössä)"; SPEC A4: "(not through a proxy)", C4: "never ... the disclosure log".
    it("C3/C4/A4: a guardian's and a proxy's AuditEvent search is 403 naming the rule, not an empty 200", async () => {
      const g = await c.get(`/fhir/AuditEvent?patient=${w.ref('Patient/child')}`, guardianA('child'));
      expectRefusal(g, 403, /\b(C3|A4)\b/);
      const proxy: Caller = { kind: 'proxy', subject: hetu('1970-02-02', 909), patient: 'elsa', mandates: ['health', 'social'] };
      const p = await c.get('/fhir/AuditEvent', proxy);
      expectRefusal(p, 403, /\b(C4|A4)\b/);
    });

    // Seed 003: "Täysi-ikäisen puolesta asiointia varten tarvitaan sähköisesti annettava Suomi.fi-valtuutus"; issue 11:
    // proxies "are verified against the store". A mandate only in the token, or one the store does not record, acts for nobody.
    it('C4: a proxy whose Suomi.fi mandate the store does not record is refused (403 naming C4) and reads nothing', async () => {
      const stranger: Caller = { kind: 'proxy', subject: hetu('1970-02-02', 910), patient: 'elsa', mandates: ['health', 'social'] };
      expectRefusal(await c.get(`/fhir/Patient/${w.id('Patient/elsa')}`, stranger), 403, /\bC4\b/);
      const onlySocial: Caller = { kind: 'proxy', subject: hetu('1970-02-02', 908), patient: 'elsa', mandates: ['health'] };
      expectRefusal(await c.get('/fhir/Encounter', onlySocial), 403, /\bC4\b/);
    });
  });
});
