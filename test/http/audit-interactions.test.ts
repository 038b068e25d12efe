// A1/A4 over HTTP: every FHIR interaction writes its BALP AuditEvent (who, for whom, organisation, purpose, legal basis, disclosures, outcome), on every backend.
import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditEventAgent, AuditEventEntity, Bundle, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encounter } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { type Caller, clientFor, guardianOf, proxyOf, healthMarks as H, hetu, Org, organizations, patientOf, professional, seedWorld, type SeededWorld, socialMarks as S } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const REST = 'http://hl7.org/fhir/restful-interaction';
const LEGAL_BASIS = 'Laki sosiaalihuollon asiakkaan asemasta ja oikeuksista 812/2000 20 §';
const GUARDIAN_HETU = '220785-901U';
const CITIZEN_HETU = hetu('1980-03-01', 951);

const subtypes = (ev: AuditEvent): string[] => (ev.subtype ?? []).map((c) => c.code as string);
const requestor = (ev: AuditEvent): AuditEventAgent => ev.agent.find((a) => a.requestor)!;
const entityRefs = (ev: AuditEvent): string[] => (ev.entity ?? []).map((e) => e.what?.reference).filter((r): r is string => !!r);
const byKind = (ev: AuditEvent, code: string): AuditEventEntity[] => (ev.entity ?? []).filter((e) => e.type?.code === code);
const base64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

describe.each(backends())('AuditEvents of FHIR interactions (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  let operator: string;
  const client = () => clientFor(gw, () => w);

  /** The AuditEvents written for one request, found by its X-Request-Id (read with the operator token). */
  async function eventsOf(requestId: string): Promise<AuditEvent[]> {
    const res = await request(gw.app).get(`/fhir/AuditEvent?entity:identifier=${requestId}&_count=100`).set('Authorization', operator);
    expect(res.status).toBe(200);
    return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
  }
  /** Runs `send` with a fresh request id and returns the response and its AuditEvents. */
  async function audited(send: (rid: string) => Promise<request.Response>): Promise<{ res: request.Response; events: AuditEvent[] }> {
    const rid = `t-${randomUUID()}`;
    const res = await send(rid);
    expect(res.headers['x-request-id']).toBe(rid);
    return { res, events: await eventsOf(rid) };
  }
  const asOperator = (rid: string) => ({ Authorization: operator, 'X-Request-Id': rid, 'Content-Type': 'application/fhir+json' });

  const doctor: Caller = professional(Org.HUS, 'health');
  const authority: Caller = professional(Org.SOS2, 'social', { subject: '140159-913H', relationship: undefined, purposeOfUse: 'PUBHLTH', legalBasis: LEGAL_BASIS });
  const citizen: Caller = { kind: 'citizen', subject: CITIZEN_HETU, patient: 'p1' };
  const proxy: Caller = { kind: 'proxy', subject: '110972-9076', patient: 'p1', mandates: ['health', 'social'] };
  const guardian: Caller = { kind: 'guardian', subject: GUARDIAN_HETU, patient: 'k1' };

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    operator = `Bearer ${await gw.token(SystemClaims)}`;
    const child = new Date();
    child.setUTCFullYear(child.getUTCFullYear() - 6);
    const orgs = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        { ...patientOf('p1', '1980-03-01', CITIZEN_HETU), name: [{ family: 'Meikäläinen', given: ['Maija'] }] } as Resource,
        patientOf('p2', '1975-01-01'),
        patientOf('k1', child.toISOString().slice(0, 10)),
        guardianOf('g1', 'k1', GUARDIAN_HETU),
        proxyOf('rpx', 'p1', '110972-9076', ['health', 'social']),
        encounter('e-hus', 'p1', H(Org.HUS), '2024-02-01'),
        encounter('e-sos', 'p1', S(Org.SOS), '2024-03-01'),
        encounter('e-p2', 'p2', H(Org.HUS), '2024-02-01'),
      ],
      orgs,
    );
  });
  afterAll(async () => gw?.close());

  test('A1: a read writes one BALP read event: R, success, the caller as requestor with token id, the patient and the record accessed', async () => {
    const { res, events } = await audited(async (rid) => request(gw.app).get(`/fhir/${w.ref('Patient/p1')}`).set(asOperator(rid)));
    expect(res.status).toBe(200);
    expect(events).toHaveLength(1);
    const [ev] = events;
    expect(ev.type).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' });
    expect(ev.subtype).toEqual([{ system: REST, code: 'read' }]);
    expect(ev.action).toBe('R');
    expect(ev.outcome).toBe('0');
    expect(requestor(ev).who?.identifier).toEqual({ system: expect.stringContaining('app-client-id'), value: SystemClaims.client_id });
    expect(requestor(ev).policy?.[0]).toMatch(/^urn:ietf:params:oauth:jti:/);
    // BALP read: the server is the source (110153), the client the destination (110152).
    expect(ev.agent.some((a) => a.type?.coding?.some((c) => c.system === DCM && c.code === '110153'))).toBe(true);
    expect(ev.agent.find((a) => a.type?.coding?.some((c) => c.code === '110152'))?.network?.address).toBeTruthy();
    expect(byKind(ev, '1').map((e) => e.what?.reference)).toEqual([w.ref('Patient/p1')]);
    expect(byKind(ev, '2').find((e) => e.what?.reference === w.ref('Patient/p1'))?.lifecycle?.code).toBe('access');
    expect(ev.source.observer.identifier?.value).toBe('kanta-gateway');
  });

  test('A1: vread and history are read events naming the version read', async () => {
    const vread = await audited(async (rid) => request(gw.app).get(`/fhir/${w.ref('Encounter/e-hus')}/_history/1`).set(asOperator(rid)));
    expect(vread.res.status).toBe(200);
    expect(vread.events.map(subtypes)).toEqual([['vread']]);
    expect(vread.events[0].action).toBe('R');
    expect(entityRefs(vread.events[0])).toContain(w.ref('Encounter/e-hus'));
    const history = await audited(async (rid) => request(gw.app).get(`/fhir/${w.ref('Encounter/e-hus')}/_history`).set(asOperator(rid)));
    expect(history.res.status).toBe(200);
    expect(history.events.map(subtypes)).toEqual([['history-instance']]);
    expect(history.events[0].action).toBe('R');
    expect(entityRefs(history.events[0])).toEqual(expect.arrayContaining([w.ref('Patient/p1'), w.ref('Encounter/e-hus')]));
  });

  test('A1: a search is an E event with the query (base64 and readable) and one event per patient found', async () => {
    const { res, events } = await audited(async (rid) => request(gw.app).get('/fhir/Encounter?date=ge2024-01-01&_count=50').set(asOperator(rid)));
    expect(res.status).toBe(200);
    const patients = new Set(events.flatMap((ev) => byKind(ev, '1').map((e) => e.what?.reference)));
    expect(patients).toEqual(new Set([w.ref('Patient/p1'), w.ref('Patient/p2')]));
    for (const ev of events) {
      expect(subtypes(ev)).toEqual(['search-type']);
      expect(ev.action).toBe('E');
      const q = (ev.entity ?? []).find((e) => e.role?.code === '24')!;
      expect(base64(q.query!)).toContain('Encounter?date=ge2024-01-01');
      expect(q.description).toContain('date=ge2024-01-01');
    }
    // One event per patient: p2's event does not name p1's encounters.
    const p2Event = events.find((ev) => byKind(ev, '1')[0].what?.reference === w.ref('Patient/p2'))!;
    expect(entityRefs(p2Event)).not.toContain(w.ref('Encounter/e-hus'));
    expect(entityRefs(p2Event)).toContain(w.ref('Encounter/e-p2'));
  });

  test('A1: create and update are C and U events naming the written resource, the caller as author / informant', async () => {
    const created = await audited(async (rid) => request(gw.app).post('/fhir/Patient').set(asOperator(rid)).send({ resourceType: 'Patient', birthDate: '1990-01-01' }));
    expect(created.res.status).toBe(201);
    const id = created.res.body.id as string;
    expect(created.events).toHaveLength(1);
    expect(created.events[0].action).toBe('C');
    expect(subtypes(created.events[0])).toEqual(['create']);
    expect(requestor(created.events[0]).type?.coding?.[0].code).toBe('AUT');
    expect(entityRefs(created.events[0])).toContain(`Patient/${id}`);
    const updated = await audited(async (rid) => request(gw.app).put(`/fhir/Patient/${id}`).set(asOperator(rid)).send({ ...created.res.body, gender: 'male' }));
    expect(updated.res.status).toBe(200);
    expect(updated.events.map((e) => [e.action, subtypes(e)[0], requestor(e).type?.coding?.[0].code])).toEqual([['U', 'update', 'INF']]);
    expect(entityRefs(updated.events[0])).toContain(`Patient/${id}`);
  });

  test('A1: each batch entry writes its own event, including a failed entry with its outcome', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: w.ref('Patient/p2') } },
        { request: { method: 'GET', url: 'Patient/no-such-patient' } },
        { resource: { resourceType: 'Patient', birthDate: '2001-01-01' }, request: { method: 'POST', url: 'Patient' } },
      ],
    };
    const { res, events } = await audited(async (rid) => request(gw.app).post('/fhir').set(asOperator(rid)).send(bundle));
    expect(res.status).toBe(200);
    const entryEvents = events.filter((e) => !subtypes(e).includes('batch'));
    expect(entryEvents.map((e) => `${subtypes(e)[0]}:${e.outcome}`).sort()).toEqual(['create:0', 'read:0', 'read:4']);
    const failed = entryEvents.find((e) => e.outcome === '4')!;
    expect(failed.outcomeDesc).toBeTruthy();
    expect(entityRefs(failed)).toContain('Patient/no-such-patient');
  });

  test('A1: a transaction audits each entry in the same database transaction as the write', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:6f0e3c7e-0d0b-4d4c-9d1c-3f8f1f0f0a01', resource: { resourceType: 'Patient', birthDate: '2002-02-02' }, request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'paino' }, subject: { reference: 'urn:uuid:6f0e3c7e-0d0b-4d4c-9d1c-3f8f1f0f0a01' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const { res, events } = await audited(async (rid) => request(gw.app).post('/fhir').set(asOperator(rid)).send(bundle));
    expect(res.status).toBe(200);
    const patientId = (res.body as Bundle).entry![0].response!.location!.split('/')[1];
    expect(events.map((e) => `${e.action}:${subtypes(e)[0]}`).sort()).toEqual(['C:create', 'C:create']);
    for (const ev of events) expect(byKind(ev, '1').map((e) => e.what?.reference)).toEqual([`Patient/${patientId}`]);
  });

  test('A1: $validate and $everything are operation events naming the operation; $everything lists what it disclosed', async () => {
    const validate = await audited(async (rid) => request(gw.app).post('/fhir/Patient/$validate').set(asOperator(rid)).send({ resourceType: 'Patient', birthDate: 'not-a-date' }));
    expect(validate.res.status).toBe(200);
    expect(validate.events).toHaveLength(1);
    expect(validate.events[0].subtype).toEqual([{ system: REST, code: 'operation', display: '$validate' }]);
    expect(validate.events[0].action).toBe('E');
    const everything = await audited(async (rid) => request(gw.app).get(`/fhir/${w.ref('Patient/p1')}/$everything`).set(asOperator(rid)));
    expect(everything.res.status).toBe(200);
    expect(everything.events).toHaveLength(1);
    expect(everything.events[0].subtype?.[0]).toMatchObject({ code: 'operation', display: '$everything' });
    expect(entityRefs(everything.events[0])).toEqual(expect.arrayContaining([w.ref('Encounter/e-hus'), w.ref('Encounter/e-sos')]));
  });

  test('A1/D11: a withheld read answers 404 and its event (outcome 4) names the withheld record for auditors', async () => {
    const { res, events } = await audited(async (rid) => client().get(`/fhir/${w.ref('Encounter/e-sos')}`, doctor, { 'X-Request-Id': rid }));
    expect(res.status).toBe(404);
    expect(events).toHaveLength(1);
    const [ev] = events;
    expect(ev.outcome).toBe('4');
    expect(subtypes(ev)).toEqual(['read']);
    const withheld = byKind(ev, 'withheld');
    expect(withheld.map((e) => e.what?.reference)).toEqual([w.ref('Encounter/e-sos')]);
    expect(withheld[0].securityLabel?.[0].code).toBe('R');
    // The professional: HETU, organisation, unit-less, sector, purpose of use on agent and event.
    expect(requestor(ev).who?.identifier).toEqual({ system: 'urn:oid:1.2.246.21', value: doctor.subject });
    expect(requestor(ev).purposeOfUse?.[0].coding?.[0].code).toBe('TREAT');
    expect(ev.purposeOfEvent?.[0].coding?.[0].code).toBe('TREAT');
    const org = ev.agent.find((a) => a.type?.coding?.[0].code === 'PROV');
    expect(org?.who?.identifier?.value).toBe(`urn:oid:${Org.HUS}`);
    expect(org?.role?.[0].coding?.[0].code).toBe('health');
  });

  test('A1/D8: a disclosure across registers is marked disclose with the register holder, purpose and the legal basis claimed', async () => {
    const { res, events } = await audited(async (rid) => client().get(`/fhir/Encounter?patient=${w.ref('Patient/p1')}`, authority, { 'X-Request-Id': rid }));
    expect(res.status).toBe(200);
    expect((res.body as Bundle).entry?.map((e) => e.resource?.id)).toEqual([w.id('Encounter/e-sos')]);
    expect(events).toHaveLength(1);
    const [ev] = events;
    expect(ev.subtype?.map((c) => c.code)).toEqual(['search-type', 'disclose']);
    const disclosed = (ev.entity ?? []).find((e) => e.what?.reference === w.ref('Encounter/e-sos'))!;
    expect(disclosed.lifecycle?.code).toBe('disclose');
    expect(disclosed.detail).toEqual([{ type: 'register-holder', valueString: Org.SOS }]);
    expect(ev.purposeOfEvent).toEqual(expect.arrayContaining([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'PUBHLTH' }] }, { text: LEGAL_BASIS }]));
    expect(byKind(ev, 'legal-basis')[0].description).toBe(LEGAL_BASIS);
    expect(entityRefs(ev)).not.toContain(w.ref('Encounter/e-hus'));
  });

  test('A1/C3: a guardian is recorded as the requestor (HETU, guardian role) acting on behalf of the child', async () => {
    const token = await gw.token({ sub: GUARDIAN_HETU, kanta_role: 'guardian', name: 'Matti Meikäläinen', patient: w.id('Patient/k1'), scope: 'patient/*.rs' });
    const { res, events } = await audited(async (rid) => request(gw.app).get(`/fhir/${w.ref('Patient/k1')}`).set('Authorization', `Bearer ${token}`).set('X-Request-Id', rid));
    expect(res.status).toBe(200);
    const [ev] = events;
    expect(requestor(ev).who).toEqual({ identifier: { system: 'urn:oid:1.2.246.21', value: GUARDIAN_HETU }, display: 'Matti Meikäläinen' });
    expect(requestor(ev).role?.flatMap((r) => r.coding?.map((c) => c.code))).toEqual(['guardian', 'GUARD']);
    const onBehalf = ev.agent.find((a) => a.type?.coding?.[0].code === 'represented');
    expect(onBehalf?.who?.reference).toBe(w.ref('Patient/k1'));
    expect(byKind(ev, '1').map((e) => e.what?.reference)).toEqual([w.ref('Patient/k1')]);
  });

  test('A1: a refusal before any record is touched (no justified connection, D9) is audited as a failure', async () => {
    const noReason: Caller = professional(Org.HUS, 'health', { relationship: undefined, purposeOfUse: undefined });
    const { res, events } = await audited(async (rid) => client().get(`/fhir/${w.ref('Encounter/e-hus')}`, noReason, { 'X-Request-Id': rid }));
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(events).toHaveLength(1);
    expect(events[0].outcome).toBe('4');
    expect(subtypes(events[0])).toEqual(['read']);
    expect(events[0].outcomeDesc).toBe(res.body.issue[0].details.text);
  });

  test('A1: a request refused for its SMART scopes answers 403 with an OperationOutcome and is audited', async () => {
    const { res, events } = await audited(async (rid) =>
      request(gw.app)
        .get(`/fhir/${w.ref('Patient/p1')}`)
        .set('X-Request-Id', rid)
        .set('Authorization', `Bearer ${await gw.token({ ...SystemClaims, scope: 'system/Observation.rs' })}`),
    );
    expect(res.status).toBe(403);
    expect(res.body.issue[0].code).toBe('forbidden');
    expect(res.body.issue[0].details.text).toMatch(/scopes do not allow read on Patient/);
    expect(events.map((e) => e.outcome)).toEqual(['4']);
    expect(byKind(events[0], '1').map((e) => e.what?.reference)).toEqual([w.ref('Patient/p1')]);
  });

  test('A4: a citizen searches the AuditEvents about their own data and sees who looked, who received what, when and on which basis', async () => {
    // Traffic about p1 by the authority (disclosure) and the doctor (a refused read).
    await client().get(`/fhir/Encounter?patient=${w.ref('Patient/p1')}`, authority);
    await client().get(`/fhir/${w.ref('Encounter/e-sos')}`, doctor);
    const res = await client().get(`/fhir/AuditEvent?patient=${w.ref('Patient/p1')}&_count=1000`, citizen);
    expect(res.status).toBe(200);
    const events = ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
    const byAuthority = events.filter((ev) => requestor(ev).who?.identifier?.value === authority.subject);
    expect(byAuthority.length).toBeGreaterThan(0);
    const disclosure = byAuthority.find((ev) => ev.subtype?.some((c) => c.code === 'disclose'))!;
    expect(disclosure.recorded).toBeTruthy();
    expect(disclosure.entity?.find((e) => e.lifecycle?.code === 'disclose')?.detail?.[0].valueString).toBe(Org.SOS);
    expect(disclosure.purposeOfEvent).toEqual(expect.arrayContaining([{ text: LEGAL_BASIS }]));
    // Every event is about p1 only.
    for (const ev of events) expect(byKind(ev, '1').map((e) => e.what?.reference)).toEqual([w.ref('Patient/p1')]);
    expect(events.some((ev) => JSON.stringify(ev).includes(w.ref('Patient/p2')))).toBe(false);
  });

  test('A4/D11: the citizen never sees withheld-entity details, while the operator does', async () => {
    const rid = `t-${randomUUID()}`;
    await client().get(`/fhir/${w.ref('Encounter/e-sos')}`, doctor, { 'X-Request-Id': rid });
    const [full] = await eventsOf(rid);
    expect(byKind(full, 'withheld')).toHaveLength(1);
    const asCitizen = await client().get(`/fhir/AuditEvent?entity:identifier=${rid}`, citizen);
    expect(asCitizen.status).toBe(200);
    const seen = (asCitizen.body as Bundle).entry!.map((e) => e.resource as AuditEvent);
    expect(seen).toHaveLength(1);
    expect(byKind(seen[0], 'withheld')).toEqual([]);
    expect(JSON.stringify(seen[0])).not.toContain(w.id('Encounter/e-sos'));
    const read = await client().get(`/fhir/AuditEvent/${full.id}`, citizen);
    expect(read.status).toBe(200);
    expect(byKind(read.body as AuditEvent, 'withheld')).toEqual([]);
  });

  test('A4/C4: a proxy sees none of the principal’s AuditEvents, and a citizen none of another person’s', async () => {
    // Seed 003: "terveystietojen luovutustiedot (ei puolesta asioinnissa käytössä)": refused outright, naming the rule.
    const viaProxy = await client().get(`/fhir/AuditEvent?patient=${w.ref('Patient/p1')}`, proxy);
    expect(viaProxy.status).toBe(403);
    expect(viaProxy.body.issue[0].details.text).toMatch(/^C4: /);
    const other = await client().get(`/fhir/AuditEvent?patient=${w.ref('Patient/p2')}`, citizen);
    expect(other.status).toBe(200);
    expect((other.body as Bundle).total).toBe(0);
    const guardians = await client().get('/fhir/AuditEvent', guardian);
    expect(guardians.status).toBe(403);
    expect(guardians.body.issue[0].details.text).toMatch(/^C3: /);
  });

  test('A3: AuditEvent offers no create, update or delete, in the API or the CapabilityStatement', async () => {
    const [ev] = await eventsOf((await request(gw.app).get('/fhir/Patient?_count=1').set('Authorization', operator)).headers['x-request-id']);
    const put = await request(gw.app).put(`/fhir/AuditEvent/${ev.id}`).set('Authorization', operator).set('Content-Type', 'application/fhir+json').send({ ...ev, outcome: '8' });
    const del = await request(gw.app).delete(`/fhir/AuditEvent/${ev.id}`).set('Authorization', operator);
    const post = await request(gw.app).post('/fhir/AuditEvent').set('Authorization', operator).set('Content-Type', 'application/fhir+json').send({ ...ev, id: undefined });
    for (const r of [put, del, post]) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.body.resourceType).toBe('OperationOutcome');
    }
    const after = await request(gw.app).get(`/fhir/AuditEvent/${ev.id}`).set('Authorization', operator);
    expect(after.body).toEqual(ev);
    const meta = await request(gw.app).get('/fhir/metadata');
    const audit = meta.body.rest[0].resource.find((r: { type: string }) => r.type === 'AuditEvent');
    expect(audit.interaction.map((i: { code: string }) => i.code).sort()).toEqual(['read', 'search-type', 'vread']);
  });
  test('AuditEvent search through its typed columns: date, type, subtype, action, outcome, agent, entity and paging agree with the events', async () => {
    const { events } = await audited((rid) => client().get(`/fhir/Encounter/${w.id('Encounter/e-hus')}`, doctor, { 'X-Request-Id': rid }));
    const [ev] = events;
    expect(ev).toBeDefined();
    const ids = async (query: string): Promise<string[]> => {
      const res = await request(gw.app).get(`/fhir/AuditEvent?entity:identifier=${(ev.entity ?? []).find((e) => e.what?.identifier)!.what!.identifier!.value}&${query}`).set('Authorization', operator);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return ((res.body as Bundle).entry ?? []).map((e) => e.resource!.id!);
    };
    const day = ev.recorded.slice(0, 10);
    expect(await ids(`date=${day}`)).toEqual([ev.id]);
    expect(await ids(`date=lt${day}`)).toEqual([]);
    expect(await ids(`type=${ev.type.system}|${ev.type.code}`)).toEqual([ev.id]);
    expect(await ids(`subtype=read`)).toEqual([ev.id]);
    expect(await ids(`subtype=${REST}|update`)).toEqual([]);
    expect(await ids('action=R')).toEqual([ev.id]);
    expect(await ids('action=C')).toEqual([]);
    expect(await ids(`outcome=${ev.outcome}`)).toEqual([ev.id]);
    expect(await ids(`entity=${w.ref('Encounter/e-hus')}`)).toEqual([ev.id]);
    expect(await ids(`patient=${w.ref('Patient/p1')}`)).toEqual([ev.id]);
    const agentId = requestor(ev).who!.identifier!;
    expect(await ids(`agent:identifier=${agentId.system}|${agentId.value}`)).toEqual([ev.id]);
    const unsupported = await request(gw.app).get('/fhir/AuditEvent?site=x').set('Authorization', operator);
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.issue[0].details.text).toMatch(/site/);
  });
});
