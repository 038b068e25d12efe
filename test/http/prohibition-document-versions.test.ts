// A prohibition of one document reaches every version of it, earlier ones and ones archived later (D3). https://hl7.org/fhir/R4/consent.html
import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { doc, encounter, informing, prohibition } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { clientFor, healthMarks as H, Org, organizations, patientOf, professional, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const setId = (s: string) => ({ system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.246.10.1.99.${s}` });

/**
 * Seed 004: a prohibition may target "Yksittäiseen ... asiakasasiakirjaan" (a single client document); seed 000: "Jos
 * kiellät ... ne näkyvät vain sille palvelunantajalle, jonka rekisteriin tiedot on tallennettu". A corrected document is
 * archived as a new DocumentReference in the same version set (masterIdentifier) that replaces the earlier one, and
 * the citizen can name only the version OmaKanta shows (the latest, seed 003), so the prohibition is of the document.
 */
describe.each(backends())('document prohibitions and versions (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  const client = () => clientFor(gw, () => w);
  // D7: Uusimaa public health care reads HUS's records of an informed patient unless prohibited.
  const neighbour = professional(Org.VANTAA, 'health');
  const holder = professional(Org.HUS, 'health');
  const citizen = { kind: 'citizen' as const, patient: 'p1' };
  const status = async (name: string, who = neighbour) => (await client().get(`/fhir/DocumentReference/${w.id(`DocumentReference/${name}`)}`, who)).status;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const orgs = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        informing('p1', 'inf'),
        encounter('e1', 'p1', H(Org.HUS), '2024-02-01'),
        { ...doc('a1', 'p1', H(Org.HUS), '2024-02-01', { encounter: 'Encounter/e1', status: 'superseded' }), masterIdentifier: setId('A') } as Resource,
        { ...doc('a2', 'p1', H(Org.HUS), '2024-02-02', { encounter: 'Encounter/e1' }), masterIdentifier: setId('A'), relatesTo: [{ code: 'replaces', target: { reference: 'DocumentReference/a1' } }] } as Resource,
        { ...doc('b1', 'p1', H(Org.HUS), '2024-02-03', { encounter: 'Encounter/e1' }), masterIdentifier: setId('B') } as Resource,
        { ...doc('c1', 'p1', H(Org.HUS), '2024-02-05', { encounter: 'Encounter/e1' }), masterIdentifier: setId('C') } as Resource,
      ],
      orgs,
    );
  });
  afterAll(async () => gw?.close());

  test('prohibiting the version the citizen sees withholds its earlier version from another register, by read and by search', async () => {
    expect([await status('a1'), await status('a2')]).toEqual([200, 200]);
    const c = { ...prohibition(w.id('Patient/p1'), [{ document: w.id('DocumentReference/a2') }]), id: undefined, dateTime: new Date().toISOString() };
    const made = await client().post('/fhir/Consent', citizen, c);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect([await status('a1'), await status('a2')]).toEqual([404, 404]);
    const seen = await client().seen(neighbour, 'DocumentReference', `patient=${w.id('Patient/p1')}`);
    expect(seen).not.toContain('a1');
    expect(seen).toContain('c1');
    // The register holder's own access is not bound by the prohibition (D1).
    expect([await status('a1', holder), await status('a2', holder)]).toEqual([200, 200]);
  });

  test('a correction archived after the prohibition is prohibited too; other documents stay disclosed', async () => {
    w = await seedWorld(gw, [prohibition('p1', [{ document: w.id('DocumentReference/b1') }], 'pro-b1')], w);
    expect(await status('b1')).toBe(404);
    w = await seedWorld(
      gw,
      [{ ...doc('b2', 'p1', H(Org.HUS), '2024-02-04', { encounter: 'Encounter/e1' }), masterIdentifier: setId('B'), relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${w.id('DocumentReference/b1')}` } }] } as Resource],
      w,
    );
    expect(await status('b2')).toBe(404);
    expect(await status('c1')).toBe(200);
  });
});

/**
 * A prohibition names its target by a reference; R4 lets a reference be absolute or versioned, and the citizen means the
 * record either way. A target the gateway cannot read binds everything rather than nothing (fail closed).
 */
describe.each(backends())('prohibition targets written in any reference form (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  const client = () => clientFor(gw, () => w);
  const neighbour = professional(Org.VANTAA, 'health');
  const citizen = { kind: 'citizen' as const, patient: 'p1' };
  const status = async (ref: string) => (await client().get(`/fhir/${w.ref(ref)}`, neighbour)).status;
  const prohibit = async (edit: (c: Record<string, any>) => void) => {
    const c = { ...prohibition(w.id('Patient/p1'), [{ document: 'placeholder' }]), id: undefined, dateTime: new Date().toISOString() } as Record<string, any>;
    edit(c);
    const made = await client().post('/fhir/Consent', citizen, c);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
  };
  const target = (c: Record<string, any>, reference: string) => {
    c.provision.provision[0].data[0].reference.reference = reference;
  };

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const orgs = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        informing('p1', 'inf'),
        encounter('e1', 'p1', H(Org.HUS), '2024-02-01'),
        encounter('e2', 'p1', H(Org.HUS), '2024-02-02'),
        doc('d1', 'p1', H(Org.HUS), '2024-02-01', { encounter: 'Encounter/e1' }),
        doc('d2', 'p1', H(Org.HUS), '2024-02-02', { encounter: 'Encounter/e2' }),
        doc('abs', 'p1', H(Org.HUS), '2024-02-06', { encounter: 'Encounter/e1' }),
        { ...doc('x1', 'p1', H(Org.HUS), '2024-02-03', { encounter: 'Encounter/e1', status: 'superseded' }), masterIdentifier: setId('X') } as Resource,
        doc('ctl', 'p1', H(Org.HUS), '2024-02-04', { encounter: 'Encounter/e1' }),
      ],
      orgs,
    );
    // The corrected version names the earlier one but carries no set id of its own.
    w = await seedWorld(gw, [{ ...doc('x2', 'p1', H(Org.HUS), '2024-02-05', { encounter: 'Encounter/e1' }), relatesTo: [{ code: 'replaces', target: { reference: w.ref('DocumentReference/x1') } }] } as Resource], w);
  });
  afterAll(async () => gw?.close());

  test('a versioned document reference binds the document', async () => {
    expect(await status('DocumentReference/d1')).toBe(200);
    await prohibit((c) => target(c, `${w.ref('DocumentReference/d1')}/_history/1`));
    expect(await status('DocumentReference/d1')).toBe(404);
    expect(await status('DocumentReference/ctl')).toBe(200);
  });

  test('an absolute document reference binds the document', async () => {
    expect(await status('DocumentReference/abs')).toBe(200);
    await prohibit((c) => target(c, `http://127.0.0.1/fhir/${w.ref('DocumentReference/abs')}`));
    expect(await status('DocumentReference/abs')).toBe(404);
  });

  test('a versioned service-event reference binds the event and what is linked to it', async () => {
    expect([await status('Encounter/e2'), await status('DocumentReference/d2')]).toEqual([200, 200]);
    await prohibit((c) => target(c, `${w.ref('Encounter/e2')}/_history/1`));
    expect([await status('Encounter/e2'), await status('DocumentReference/d2')]).toEqual([404, 404]);
  });

  test('the version the citizen names reaches the earlier one it replaces, with no set id on it', async () => {
    expect([await status('DocumentReference/x1'), await status('DocumentReference/x2')]).toEqual([200, 200]);
    await prohibit((c) => target(c, w.ref('DocumentReference/x2')));
    expect([await status('DocumentReference/x1'), await status('DocumentReference/x2')]).toEqual([404, 404]);
  });

  test('a target that names nothing stored (a urn) is refused on write, so no prohibition that binds nothing is stored', async () => {
    const c = { ...prohibition(w.id('Patient/p1'), [{ document: 'placeholder' }]), id: undefined, dateTime: new Date().toISOString() } as Record<string, any>;
    target(c, 'urn:uuid:6c0f0a8e-0000-4000-8000-000000000000');
    const res = await client().post('/fhir/Consent', citizen, c);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Consent.provision.provision[0].data[0].reference.reference']);
  });
});
