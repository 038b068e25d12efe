// Issue 11, situation 10 over HTTP: narrow SMART scopes bind every route that returns resources (SPEC §3 S1), on both backends.
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentKind } from '../../src/kanta/codes.js';
import { consent, doc, encounter, informing, permission } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { type Caller, claimsOf, clientFor, healthMarks as H, hetu, Org, organizations, patientOf, professional, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { dispense, expectRefusal, prescriptionOn, rawCaller, renewalTask, typesIn } from '../support/situation-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const { HUS, TAYS } = Org;
const MAIJA = hetu('1980-03-01', 921);

const world = (): Resource[] => [
  patientOf('maija', '1980-03-01', MAIJA),
  { ...encounter('e1', 'maija', H(HUS), '2024-02-01'), serviceProvider: { reference: `Organization/${HUS}` } } as Resource,
  doc('d1', 'maija', H(HUS), '2024-02-01', { encounter: 'Encounter/e1' }),
  prescriptionOn('rx1', 'maija', H(HUS), '2024-01-01', { encounter: 'Encounter/e1', performer: `Organization/${HUS}` }),
  dispense('md1', 'maija', H(HUS), '2024-01-02', 'rx1'),
  renewalTask('t1', 'maija', H(HUS), '2024-06-01', 'rx1'),
  informing('maija', 'inf'),
  permission(ConsentKind.PermissionHealth, 'maija', { id: 'perm' }),
  consent(ConsentKind.LivingWill, 'maija', { type: 'permit' }, { id: 'will', performer: 'Patient/maija' }),
  consent(ConsentKind.OrganDonationWill, 'maija', { type: 'permit' }, { id: 'organ', performer: 'Patient/maija' }),
];

/** Resource types of a Bundle's entries (and of Bundles nested in batch entries), with what the answer is made of left out. */
function returnedTypes(body: unknown): string[] {
  return typesIn(body).filter((t) => t !== 'Bundle' && t !== 'OperationOutcome');
}

describe.each(backends())('issue 11 situation 10: scopes on every route (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  const pharmacistScopes = 'user/MedicationRequest.rs user/MedicationDispense.cruds user/Patient.rs';
  const PharmacistTypes = ['MedicationDispense', 'MedicationRequest', 'Patient'];
  const as = (c: Caller, scope: string) => rawCaller(gw, { ...claimsOf(c, w), scope });
  const pharmacist = () => as(professional(TAYS, 'health', { pharmacy: true, patient: 'maija' }), pharmacistScopes);
  const maija: Caller = { kind: 'citizen', subject: MAIJA, patient: 'maija' };

  /** Every resource in the answer is of a type in `allowed`; the answer is 200 (or, where `refusable`, a 403 naming the scope). */
  function expectOnly(res: request.Response, allowed: string[], what: string, refusable = false): void {
    if (refusable && res.status === 403) {
      expectRefusal(res, 403, /scope/i);
      return;
    }
    expect.soft(res.status, `${what}: ${JSON.stringify(res.body).slice(0, 500)}`).toBe(200);
    const outside = returnedTypes(res.body).filter((t) => !allowed.includes(t));
    expect.soft(outside, `${what} returns types outside the scopes`).toEqual([]);
  }

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const base = await seedWorld(gw, organizations());
    w = await seedWorld(gw, world(), base);
    // A professional's read writes AuditEvents about Maija, so there are some to leak.
    const doctor = clientFor(gw, () => w);
    expect((await doctor.get(`/fhir/Encounter/${w.id('Encounter/e1')}`, professional(HUS, 'health', { patient: 'maija' }))).status).toBe(200);
  });
  afterAll(async () => gw?.close());

  // SPEC S1: "SMART v2 scopes limit types and interactions on every route (includes and `$everything` too)."
  it("S1: a pharmacist's $everything returns only MedicationRequest, MedicationDispense and Patient (no Consents, wills, Encounters, Tasks)", async () => {
    const res = await (await pharmacist()).get(`/fhir/Patient/${w.id('Patient/maija')}/$everything`);
    expectOnly(res, PharmacistTypes, '$everything');
    // Control: what the scopes do cover still comes (D6 gives a pharmacy the prescriptions).
    expect.soft(returnedTypes(res.body)).toEqual(expect.arrayContaining(['MedicationRequest', 'Patient']));
  });

  // SPEC S1 (as above).
  it('S1: _include=* and _revinclude=* of a pharmacist bring no Organization, Encounter or Task', async () => {
    const p = w.ref('Patient/maija');
    const ph = await pharmacist();
    expectOnly(await ph.get(`/fhir/MedicationRequest?patient=${p}&_include=*`), PharmacistTypes, 'MedicationRequest _include=*');
    expectOnly(await ph.get(`/fhir/MedicationRequest?patient=${p}&_revinclude=*`), PharmacistTypes, 'MedicationRequest _revinclude=*');
    expectOnly(await ph.get(`/fhir/MedicationRequest?patient=${p}&_include=MedicationRequest:encounter`), PharmacistTypes, 'MedicationRequest _include=:encounter', true);
    expectOnly(await ph.get(`/fhir/MedicationRequest?patient=${p}&_revinclude=Task:focus`), PharmacistTypes, 'MedicationRequest _revinclude=Task:focus', true);
    expectOnly(await ph.get(`/fhir/Patient?_id=${w.id('Patient/maija')}&_revinclude=*`), PharmacistTypes, 'Patient _revinclude=*');
  });

  // SPEC S1 (as above).
  it("S1: a 'patient/Patient.rs' token's Patient?_revinclude=* brings no Encounters, documents, Consents, prescriptions, Tasks or AuditEvents", async () => {
    const c = await as(maija, 'patient/Patient.rs');
    expectOnly(await c.get(`/fhir/Patient?_id=${w.id('Patient/maija')}&_revinclude=*`), ['Patient'], 'Patient _revinclude=*');
    expectOnly(await c.get(`/fhir/Patient?_id=${w.id('Patient/maija')}&_revinclude=Encounter:subject&_revinclude=Consent:patient`), ['Patient'], 'Patient _revinclude typed', true);
    expectOnly(await c.get(`/fhir/Patient/${w.id('Patient/maija')}/$everything`), ['Patient'], 'Patient $everything');
  });

  // SPEC S1 (as above).
  it("S1: a 'patient/Encounter.rs' token's Encounter?_include=* brings no Patient or Organization", async () => {
    const c = await as(maija, 'patient/Encounter.rs');
    const res = await c.get(`/fhir/Encounter?patient=${w.ref('Patient/maija')}&_include=*`);
    expectOnly(res, ['Encounter'], 'Encounter _include=*');
    expect.soft(returnedTypes(res.body)).toEqual(['Encounter']);
    expectOnly(await c.get(`/fhir/Encounter?patient=${w.ref('Patient/maija')}&_revinclude=*`), ['Encounter'], 'Encounter _revinclude=*');
  });

  // SPEC S1 (as above): "on every route" — batch and transaction entries are routes of their own.
  it('S1: batch and transaction entries outside the scopes are refused per entry and return nothing outside the scopes', async () => {
    const ph = await pharmacist();
    const p = w.ref('Patient/maija');
    const batch = await ph.post('/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Consent?patient=${p}` } },
        { request: { method: 'GET', url: `Consent/${w.id('Consent/will')}` } },
        { request: { method: 'GET', url: `Encounter/${w.id('Encounter/e1')}` } },
        { request: { method: 'GET', url: `Patient/${w.id('Patient/maija')}/$everything` } },
        { request: { method: 'GET', url: `MedicationRequest?patient=${p}&_include=*&_revinclude=*` } },
        { request: { method: 'GET', url: `MedicationRequest?patient=${p}` } },
      ],
    });
    expectOnly(batch, PharmacistTypes, 'batch');
    const entries = (batch.body as Bundle).entry as BundleEntry[];
    for (const e of entries.slice(0, 3)) expect.soft(e.response?.status, JSON.stringify(e).slice(0, 300)).toMatch(/^403/);
    expect.soft(entries[5].response?.status).toMatch(/^200/);
    const tx = await ph.post('/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: `Consent?patient=${p}` } }] });
    expectOnly(tx, PharmacistTypes, 'transaction', true);
  });

  // SPEC S1 (as above): history is a route that returns resources.
  it('S1: type and instance history outside the scopes are 403 naming the scope; inside them only scoped types come back', async () => {
    const ph = await pharmacist();
    expectRefusal(await ph.get('/fhir/Consent/_history'), 403, /scope/i);
    expectRefusal(await ph.get(`/fhir/Consent/${w.id('Consent/will')}/_history`), 403, /scope/i);
    expectRefusal(await ph.get(`/fhir/Consent/${w.id('Consent/will')}/_history/1`), 403, /scope/i);
    expectOnly(await ph.get('/fhir/MedicationRequest/_history'), PharmacistTypes, 'MedicationRequest history');
  });

  // SPEC S1 (as above): $disclosure returns an explanation of a resource, so it is a route for that resource's type.
  it("S1: $disclosure about a resource outside the token's scopes is refused and names nothing of it", async () => {
    const ph = await pharmacist();
    const res = await ph.get(`/fhir/Patient/${w.id('Patient/maija')}/$disclosure?resource=${encodeURIComponent(w.ref('Consent/will'))}`);
    expect.soft([403, 404], `$disclosure Consent: ${res.status}`).toContain(res.status);
    expect.soft(res.body.resourceType).toBe('OperationOutcome');
    expect.soft(JSON.stringify(res.body)).not.toContain(w.id('Consent/will'));
    const enc = await ph.get(`/fhir/Patient/${w.id('Patient/maija')}/$disclosure?resource=${encodeURIComponent(w.ref('Encounter/e1'))}`);
    expect.soft([403, 404], `$disclosure Encounter: ${enc.status}`).toContain(enc.status);
    // Control: inside the scopes the explanation is given.
    const rx = await ph.get(`/fhir/Patient/${w.id('Patient/maija')}/$disclosure?resource=${encodeURIComponent(w.ref('MedicationRequest/rx1'))}`);
    expect(rx.status, JSON.stringify(rx.body).slice(0, 400)).toBe(200);
  });
});
