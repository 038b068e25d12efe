// Issue 11, situations 1, 2, 8 and 9 over HTTP: every basis of disclosure to professionals yields to sectors, prescription prohibitions, the unit registry and the named patient (SPEC §3 D1-D9).
import type { Bundle, Parameters, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentKind } from '../../src/kanta/codes.js';
import { doc, encounter, episode, informing, permission, prescriptionProhibition, recipientTarget } from '../consent/world.js';
import { backends } from '../support/backends.js';
import {
  type Caller,
  type Client,
  clientFor,
  healthMarks as H,
  Org,
  organizations,
  patientOf,
  professional,
  seedWorld,
  type SeededWorld,
  socialMarks as S,
} from '../support/consent-fixtures.js';
import { dispense, entriesOf, expectRefusal, expectWithheld, holder, prescriptionOn, renewalTask, unitOf } from '../support/situation-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const { HUS, TAYS, SOS, SOS2, VANTAA } = Org;
/** A wellbeing county holding both a patient register (health) and a client register (social); outside Uusimaa. */
const COUNTY = '1.2.246.10.20';
const COUNTY_SOCIAL_UNIT = '1.2.246.10.20.1'; // Sos.PäävastuullinenYksikkö = T
const COUNTY_HEALTH_UNIT = '1.2.246.10.20.2'; // Th.PäävastuullinenYksikkö = T
const SOS_MAIN_UNIT = '1.2.246.10.4.7'; // a unit of SOS (not of SOS2), Sos.PäävastuullinenYksikkö = T

const registry = (): Resource[] => [
  ...organizations(),
  holder(COUNTY, { public: true, region: 'other' }),
  unitOf(COUNTY_SOCIAL_UNIT, COUNTY, { social: true }),
  unitOf(COUNTY_HEALTH_UNIT, COUNTY, { health: true }),
  unitOf(SOS_MAIN_UNIT, SOS, { social: true }),
];

const world = (): Resource[] => [
  // 1. The county's patients: c1 has no consents at all; c2 gave both cross-sector permissions.
  patientOf('c1', '1970-01-01'),
  encounter('ce1', 'c1', H(COUNTY), '2024-02-01'),
  doc('cd1', 'c1', H(COUNTY), '2024-02-01', { encounter: 'Encounter/ce1' }),
  episode('cep1', 'c1', S(COUNTY), '2024-01-10', 'adult-social-work'),
  doc('csd1', 'c1', S(COUNTY), '2024-01-10', { encounter: 'EpisodeOfCare/cep1' }),
  patientOf('c2', '1971-01-01'),
  encounter('ce2', 'c2', H(COUNTY), '2024-02-01'),
  doc('cd2', 'c2', H(COUNTY), '2024-02-01', { encounter: 'Encounter/ce2' }),
  episode('cep2', 'c2', S(COUNTY), '2024-01-10', 'adult-social-work'),
  doc('csd2', 'c2', S(COUNTY), '2024-01-10', { encounter: 'EpisodeOfCare/cep2' }),
  informing('c2'),
  permission(ConsentKind.PermissionHealthToSocial, 'c2'),
  permission(ConsentKind.PermissionSocialToHealth, 'c2'),
  // 2. p1 gave a health permission (D2 path for TAYS); p2 was only informed (D7 path for VANTAA). Each prohibited one prescription.
  patientOf('p1', '1980-03-01'),
  informing('p1'),
  permission(ConsentKind.PermissionHealth, 'p1'),
  prescriptionOn('rx1', 'p1', H(HUS), '2024-01-01', { performer: `Organization/${HUS}` }),
  prescriptionOn('rx2', 'p1', H(HUS), '2024-02-01', { performer: `Organization/${HUS}` }),
  dispense('md1', 'p1', H(HUS), '2024-01-02', 'rx1'),
  dispense('md2', 'p1', H(HUS), '2024-02-02', 'rx2'),
  renewalTask('t1', 'p1', H(HUS), '2024-06-01', 'rx1'),
  renewalTask('t2', 'p1', H(HUS), '2024-06-01', 'rx2'),
  prescriptionProhibition('p1', ['rx2']),
  patientOf('p2', '1981-03-01'),
  informing('p2'),
  prescriptionOn('rx3', 'p2', H(HUS), '2024-01-01'),
  prescriptionOn('rx4', 'p2', H(HUS), '2024-02-01'),
  dispense('md3', 'p2', H(HUS), '2024-01-02', 'rx3'),
  dispense('md4', 'p2', H(HUS), '2024-02-02', 'rx4'),
  renewalTask('t3', 'p2', H(HUS), '2024-06-01', 'rx3'),
  renewalTask('t4', 'p2', H(HUS), '2024-06-01', 'rx4'),
  prescriptionProhibition('p2', ['rx4']),
  // 8. s8 permits health data to social care, targeted at the provider SOS.
  patientOf('s8', '1982-03-01'),
  encounter('e8', 's8', H(HUS), '2024-02-01'),
  doc('d8', 's8', H(HUS), '2024-02-01', { encounter: 'Encounter/e8' }),
  informing('s8'),
  permission(ConsentKind.PermissionHealthToSocial, 's8', { targets: [recipientTarget(SOS)] }),
  // ... and s8u permits it untargeted: only the unit's flag stands between S2's worker and the document.
  patientOf('s8u', '1982-04-01'),
  encounter('e8u', 's8u', H(HUS), '2024-02-01'),
  doc('d8u', 's8u', H(HUS), '2024-02-01', { encounter: 'Encounter/e8u' }),
  informing('s8u'),
  permission(ConsentKind.PermissionHealthToSocial, 's8u'),
  // 9. Two patients of HUS: the doctor's token names b9 only.
  patientOf('b9', '1983-03-01'),
  patientOf('k9', '1984-03-01'),
  encounter('eb', 'b9', H(HUS), '2024-03-01'),
  doc('db', 'b9', H(HUS), '2024-03-01', { encounter: 'Encounter/eb' }),
  encounter('ek', 'k9', H(HUS), '2024-03-02'),
  doc('dk', 'k9', H(HUS), '2024-03-02', { encounter: 'Encounter/ek' }),
];

const rules = (p: Parameters): string[] => (p.parameter ?? []).filter((x) => x.name === 'rule').map((x) => x.valueCode as string);

describe.each(backends())('issue 11 situations: disclosure to professionals (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  let c: Client;
  const read = (ref: string, who: Caller) => c.get(`/fhir/${ref.split('/')[0]}/${w.id(ref)}`, who);
  const disclosure = (patient: string, ref: string, who: Caller) =>
    c.get(`/fhir/Patient/${w.id(`Patient/${patient}`)}/$disclosure?resource=${encodeURIComponent(w.ref(ref))}`, who);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const base = await seedWorld(gw, registry());
    w = await seedWorld(gw, world(), base);
    c = clientFor(gw, () => w);
  });
  afterAll(async () => gw?.close());

  describe('1. a wellbeing county holding both registers', () => {
    const socialWorker = (patient: string, unit?: string): Caller => professional(COUNTY, 'social', { patient, ...(unit ? { unit } : {}) });
    const healthPro = (patient: string, unit?: string): Caller => professional(COUNTY, 'health', { patient, ...(unit ? { unit } : {}) });

    // Seed 000: "hyvinvointialueella tallennettuja potilastietoja voidaan käyttää kyseisen hyvinvointialueen
    // terveydenhuollossa. Hyvinvointialueen sosiaalipalvelujen asiakastietoja voidaan vastaavasti käyttää kyseisen
    // hyvinvointialueen sosiaalihuollossa." SPEC D1: "within the professional's own sector only".
    it("D1/D5: the county's social worker gets nothing of the county's patient register without the cross-sector permission", async () => {
      expectWithheld(await read('DocumentReference/cd1', socialWorker('c1')), 'read DocumentReference/cd1');
      expectWithheld(await read('Encounter/ce1', socialWorker('c1')), 'read Encounter/ce1');
      const p = w.ref('Patient/c1');
      expect.soft(await c.seen(socialWorker('c1'), 'DocumentReference', `patient=${p}`)).toEqual(['csd1']);
      expect.soft(await c.seen(socialWorker('c1'), 'Encounter', `patient=${p}`)).toEqual([]);
      // Control: its own sector's register is D1.
      expect.soft((await read('DocumentReference/csd1', socialWorker('c1'))).status).toBe(200);
      expect.soft(await c.seen(socialWorker('c1'), 'EpisodeOfCare', `patient=${p}`)).toEqual(['cep1']);
    });

    // Seed 000 (as above); seed 002: "Lupa luovuttaa sosiaalihuollon asiakastietoja terveydenhuoltoon" is a permission of its own.
    it("D1/D5: the county's health professional gets nothing of the county's client register without the cross-sector permission", async () => {
      expectWithheld(await read('DocumentReference/csd1', healthPro('c1')), 'read DocumentReference/csd1');
      expectWithheld(await read('EpisodeOfCare/cep1', healthPro('c1')), 'read EpisodeOfCare/cep1');
      const p = w.ref('Patient/c1');
      expect.soft(await c.seen(healthPro('c1'), 'DocumentReference', `patient=${p}`)).toEqual(['cd1']);
      expect.soft(await c.seen(healthPro('c1'), 'EpisodeOfCare', `patient=${p}`)).toEqual([]);
      expect.soft((await read('Encounter/ce1', healthPro('c1'))).status).toBe(200);
    });

    // SPEC D11: "A withheld read answers exactly as a missing resource does" ($disclosure included).
    it('D1/D11: $disclosure answers 404 for the other sector of the own organisation when nothing permits it', async () => {
      expectWithheld(await disclosure('c1', 'DocumentReference/cd1', socialWorker('c1')), '$disclosure DocumentReference/cd1');
      expectWithheld(await disclosure('c1', 'EpisodeOfCare/cep1', healthPro('c1')), '$disclosure EpisodeOfCare/cep1');
      expect.soft(rules((await disclosure('c1', 'DocumentReference/csd1', socialWorker('c1'))).body)).toContain('D1');
    });

    // Seed 002: "Sos.PäävastuullinenYksikkö ... jolle potilastietoja voidaan luovuttaa asiakkaan antaman potilastietoja
    // koskevan luovutusluvan mukaisesti" (and Th.PäävastuullinenYksikkö for the other direction). SPEC D1: "crossing
    // sectors inside one organisation needs D5 or D8 like any other crossing".
    it('D5: inside the county the crossing rests on the cross-sector permission and a päävastuullinen unit, and $disclosure names D5, not D1', async () => {
      const sw = socialWorker('c2', COUNTY_SOCIAL_UNIT);
      const hp = healthPro('c2', COUNTY_HEALTH_UNIT);
      expect.soft((await read('DocumentReference/cd2', sw)).status).toBe(200);
      expect.soft((await read('DocumentReference/csd2', hp)).status).toBe(200);
      const toSocial = await disclosure('c2', 'DocumentReference/cd2', sw);
      expect(toSocial.status).toBe(200);
      expect.soft(rules(toSocial.body)).toContain('D5');
      expect.soft(rules(toSocial.body)).not.toContain('D1');
      const toHealth = await disclosure('c2', 'DocumentReference/csd2', hp);
      expect(toHealth.status).toBe(200);
      expect.soft(rules(toHealth.body)).toContain('D5');
      expect.soft(rules(toHealth.body)).not.toContain('D1');
      // Without the päävastuullinen unit the same permission gives the county's social worker nothing of the health register.
      expectWithheld(await read('DocumentReference/cd2', socialWorker('c2')), 'read DocumentReference/cd2');
    });
  });

  describe('2. a prescription prohibition binds every basis', () => {
    const tays = professional(TAYS, 'health', { patient: 'p1' }); // D2: other region, p1's health permission
    const vantaa = professional(VANTAA, 'health', { patient: 'p2' }); // D7: second Uusimaa public provider, p2 informed

    const cases: Array<{ rule: string; who: () => Caller; patient: string; ok: [string, string, string]; banned: [string, string, string] }> = [
      { rule: 'D2', who: () => tays, patient: 'p1', ok: ['rx1', 'md1', 't1'], banned: ['rx2', 'md2', 't2'] },
      { rule: 'D7', who: () => vantaa, patient: 'p2', ok: ['rx3', 'md3', 't3'], banned: ['rx4', 'md4', 't4'] },
    ];

    for (const k of cases) {
      // Seed 000: "Luovutuskiellolla voit määrittää, mitä resepti- tai potilastietojasi ei saa luovuttaa muille
      // terveydenhuollon toimijoille" and "Luovutuskiellolla voit rajata potilastietojesi käyttöä myös Uudellamaalla".
      it(`D6/${k.rule}: a prohibited prescription is withheld on the ${k.rule} path: read and search`, async () => {
        // Soft assertions: one run lists every route that leaks.
        const [rx, md, task] = k.banned;
        const p = w.ref(`Patient/${k.patient}`);
        expect.soft((await read(`MedicationRequest/${rx}`, k.who())).status, `read MedicationRequest/${rx}`).toBe(404);
        expect.soft((await read(`MedicationRequest/${k.ok[0]}`, k.who())).status, `read MedicationRequest/${k.ok[0]}`).toBe(200);
        expect.soft(await c.seen(k.who(), 'MedicationRequest', `patient=${p}`), 'search MedicationRequest').toEqual([k.ok[0]]);
        // Seed 003 groups them: "reseptit, lääkeostot ja reseptien luovutustiedot"; a renewal request is about its prescription.
        expect.soft((await read(`MedicationDispense/${md}`, k.who())).status, `read MedicationDispense/${md}`).toBe(404);
        expect.soft((await read(`Task/${task}`, k.who())).status, `read Task/${task}`).toBe(404);
        expect.soft(await c.seen(k.who(), 'MedicationDispense', `patient=${p}`), 'search MedicationDispense').toEqual([k.ok[1]]);
        expect.soft(await c.seen(k.who(), 'Task', `patient=${p}`), 'search Task').toEqual([k.ok[2]]);
        // SPEC D11: "not in search results, `total`, ... `_has`, history, vread".
        expect.soft((await c.get(`/fhir/MedicationRequest/${w.id(`MedicationRequest/${rx}`)}/_history/1`, k.who())).status, 'vread').toBe(404);
        expect.soft((await c.get(`/fhir/MedicationRequest?patient=${p}&_summary=count`, k.who())).body.total, '_summary=count').toBe(1);
        const has = await c.get(`/fhir/MedicationRequest?patient=${p}&_has:MedicationDispense:prescription:status=completed`, k.who());
        expect.soft(entriesOf(has.body, w), '_has').toEqual([`MedicationRequest/${k.ok[0]}`]);
      });

      // Seed 000 (as above); SPEC D11: withheld data never shows in _include/_revinclude or $everything.
      it(`D6/${k.rule}: a prohibited prescription, its dispensing and renewal request stay out of _include, _revinclude and $everything`, async () => {
        const p = w.ref(`Patient/${k.patient}`);
        const banned = [`MedicationRequest/${k.banned[0]}`, `MedicationDispense/${k.banned[1]}`, `Task/${k.banned[2]}`];
        const inc = await c.get(`/fhir/MedicationDispense?patient=${p}&_include=MedicationDispense:prescription`, k.who());
        expect(inc.status).toBe(200);
        expect.soft(entriesOf(inc.body, w), 'MedicationDispense _include prescription').toEqual([`MedicationDispense/${k.ok[1]}`, `MedicationRequest/${k.ok[0]}`]);
        const focus = await c.get(`/fhir/Task?patient=${p}&_include=Task:focus`, k.who());
        expect(focus.status).toBe(200);
        expect.soft(entriesOf(focus.body, w), 'Task _include focus').toEqual([`MedicationRequest/${k.ok[0]}`, `Task/${k.ok[2]}`]);
        const rev = await c.get(`/fhir/MedicationRequest?patient=${p}&_revinclude=MedicationDispense:prescription&_revinclude=Task:focus`, k.who());
        expect(rev.status).toBe(200);
        expect.soft(entriesOf(rev.body, w), 'MedicationRequest _revinclude').toEqual([`MedicationDispense/${k.ok[1]}`, `MedicationRequest/${k.ok[0]}`, `Task/${k.ok[2]}`]);
        const all = await c.get(`/fhir/Patient/${w.id(`Patient/${k.patient}`)}/$everything`, k.who());
        expect(all.status).toBe(200);
        const got = entriesOf(all.body, w);
        expect.soft(got.filter((x) => banned.includes(x)), '$everything shows').toEqual([]);
        expect.soft(got, '$everything lacks').toEqual(expect.arrayContaining([`MedicationRequest/${k.ok[0]}`, `MedicationDispense/${k.ok[1]}`, `Task/${k.ok[2]}`]));
        expect.soft(banned.filter((b) => JSON.stringify(all.body).includes(w.ref(b))), '$everything names').toEqual([]);
      });
    }

    // Seed 000: "Jos kiellät joidenkin potilastietojesi ... ne näkyvät vain sille palvelunantajalle ... jonka rekisteriin tiedot on tallennettu."
    it('D3/D6: the register holder still sees its own prohibited prescription', async () => {
      const hus = professional(HUS, 'health', { patient: 'p1' });
      expect.soft((await read('MedicationRequest/rx2', hus)).status).toBe(200);
      expect.soft(await c.seen(hus, 'MedicationRequest', `patient=${w.ref('Patient/p1')}`)).toEqual(['rx1', 'rx2']);
    });
  });

  describe('8. a unit outside the token organisation', () => {
    // Seed 002: "Sote-organisaatiorekisteriin tieto päävastuullisista toimijoista ... tarvitaan yksikön nimi ja
    // organisaatiotunniste eli OID-koodi": the flag belongs to a unit of one organisation in the registry.
    it('D5/S1: a token whose unit is not a unit of its organisation is refused with 403 naming the unit claim', async () => {
      const impostor = professional(SOS2, 'social', { patient: 's8', unit: SOS_MAIN_UNIT });
      const res = await read('DocumentReference/d8', impostor);
      expectRefusal(res, 403, /\bunit\b/);
      expect(JSON.stringify(res.body)).not.toContain(w.id('DocumentReference/d8'));
      expectRefusal(await c.get(`/fhir/DocumentReference?patient=${w.ref('Patient/s8')}`, impostor), 403, /\bunit\b/);
      // Control: SOS's own worker in that unit receives it by D5 (targeted at SOS, päävastuullinen unit).
      const own = professional(SOS, 'social', { patient: 's8', unit: SOS_MAIN_UNIT });
      expect.soft((await read('DocumentReference/d8', own)).status).toBe(200);
    });

    // Seed 002 (as above): "Arvo T (True) tarkoittaa, että yksikkö on sosiaalihuollon päävastuullinen yksikkö" — of its organisation.
    it("D5/S1: an untargeted cross-sector permission does not let S2's worker borrow S1's päävastuullinen unit (403 naming the unit claim)", async () => {
      const impostor = professional(SOS2, 'social', { patient: 's8u', unit: SOS_MAIN_UNIT });
      const res = await read('DocumentReference/d8u', impostor);
      expectRefusal(res, 403, /\bunit\b/);
      expect(JSON.stringify(res.body)).not.toContain(w.id('DocumentReference/d8u'));
      expectRefusal(await c.get(`/fhir/Patient/${w.id('Patient/s8u')}/$everything`, impostor), 403, /\bunit\b/);
      const own = professional(SOS, 'social', { patient: 's8u', unit: SOS_MAIN_UNIT });
      expect.soft((await read('DocumentReference/d8u', own)).status).toBe(200);
    });
  });

  describe('9. the care relationship is with the named patient', () => {
    const doctor = (): Caller => professional(HUS, 'health', { patient: 'b9' });

    // Seed 000: "Tietojasi saa käyttää vain, jos ammattilaisella on siihen oikeus asiakas- tai hoitosuhteen tai
    // työtehtävän perusteella." SPEC D9: "other patients' records stay withheld, in the own register too".
    it("D9: a token naming patient B cannot read patient K's records in its own register", async () => {
      expectWithheld(await read('Encounter/ek', doctor()), 'read Encounter/ek');
      expectWithheld(await read('DocumentReference/dk', doctor()), 'read DocumentReference/dk');
      expect.soft((await read('Encounter/eb', doctor())).status).toBe(200);
      expect.soft((await read('DocumentReference/db', doctor())).status).toBe(200);
    });

    // Seed 000 (as above).
    it("D9: search and type history show only the named patient's records of the own register", async () => {
      expect.soft(await c.seen(doctor(), 'Encounter', `patient=${w.ref('Patient/k9')}`)).toEqual([]);
      expect.soft(await c.seen(doctor(), 'DocumentReference', `patient=${w.ref('Patient/k9')}`)).toEqual([]);
      // Without a patient parameter: of the world's HUS visits (eb, ek, e8) only B's.
      expect.soft(await c.seen(doctor(), 'Encounter')).toEqual(['eb']);
      const history = await c.get('/fhir/Encounter/_history?_count=1000', doctor());
      expect(history.status).toBe(200);
      const names = entriesOf(history.body, w).filter((n) => !n.includes('/?'));
      expect(names).toEqual(['Encounter/eb']);
      expect((history.body as Bundle).total).toBe(((history.body as Bundle).entry ?? []).length);
      const vread = await c.get(`/fhir/Encounter/${w.id('Encounter/ek')}/_history/1`, doctor());
      expectWithheld(vread, 'vread Encounter/ek');
    });
  });
});
