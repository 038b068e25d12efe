// SPEC §4: every malformed request gets a clear 4xx OperationOutcome and changes nothing.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

describe.each(backends())('bad input (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  const countPatients = async () => (await request(gw.app).get('/fhir/Patient?_summary=count').set('Authorization', auth)).body.total as number;

  beforeAll(async () => {
    gw = await startTestGateway(backend, { BODY_LIMIT: '2kb' });
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  test('malformed JSON answers 400 and stores nothing', async () => {
    const before = await countPatients();
    const res = await request(gw.app).post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send('{"resourceType": "Patient",');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details.text).toMatch(/not valid JSON/);
    expect(await countPatients()).toBe(before);
  });

  test('a body whose resourceType differs from the URL answers 400 naming resourceType', async () => {
    const res = await request(gw.app).post('/fhir/Patient').set('Authorization', auth).send({ resourceType: 'Observation', status: 'final' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['resourceType']);
  });

  test('an unknown resource type answers 404 with an OperationOutcome', async () => {
    const res = await request(gw.app).get('/fhir/Spaceship').set('Authorization', auth);
    expect(res.status).toBe(404);
    expect(res.body.issue[0].details.text).toMatch(/Spaceship/);
  });

  test('an invalid HETU check character is refused on write', async () => {
    const before = await countPatients();
    const res = await request(gw.app).post('/fhir/Patient').set('Authorization', auth).send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: '131052-308X' }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toMatch(/identifier/);
    expect(await countPatients()).toBe(before);
  });

  test('F3: validation texts follow Accept-Language: Finnish, Swedish, English by default', async () => {
    const bad = { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: '131052-308X' }] };
    const fi = await request(gw.app).post('/fhir/Patient').set('Authorization', auth).set('Accept-Language', 'fi-FI, en;q=0.5').send(bad);
    expect(fi.status).toBe(400);
    expect(fi.body.issue[0].details.text).toMatch(/Virheellinen henkilötunnus/);
    const sv = await request(gw.app).post('/fhir/Patient/$validate').set('Authorization', auth).set('Accept-Language', 'sv;q=0.9, en;q=0.8').send(bad);
    expect(sv.body.issue[0].details.text).toMatch(/Ogiltig finsk personbeteckning/);
    const en = await request(gw.app).post('/fhir/Patient/$validate').set('Authorization', auth).send(bad);
    expect(en.body.issue[0].details.text).toMatch(/Invalid Finnish personal identity code/);
  });

  test('an invalid date in a resource is refused with the failing path', async () => {
    const res = await request(gw.app).post('/fhir/Patient').set('Authorization', auth).send({ resourceType: 'Patient', birthDate: '2020-02-31x' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toMatch(/birthDate/);
  });

  test('an oversized body answers 413', async () => {
    const res = await request(gw.app).post('/fhir/Patient').set('Authorization', auth).send({ resourceType: 'Patient', name: [{ text: 'x'.repeat(5000) }] });
    expect(res.status).toBe(413);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('XML is not served: Accept application/fhir+xml answers 406, an XML body 415', async () => {
    const accept = await request(gw.app).get('/fhir/Patient').set('Authorization', auth).set('Accept', 'application/fhir+xml');
    expect(accept.status).toBe(406);
    expect(accept.body.issue[0].code).toBe('not-supported');
    const format = await request(gw.app).get('/fhir/metadata?_format=xml');
    expect(format.status).toBe(406);
    const body = await request(gw.app).post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+xml').send('<Patient xmlns="http://hl7.org/fhir"/>');
    expect(body.status).toBe(415);
  });

  test('an unsupported interaction answers 405 and an unknown route 404', async () => {
    const del = await request(gw.app).delete('/fhir/Patient/x').set('Authorization', auth);
    expect(del.status).toBe(405);
    expect(del.body.issue[0].details.text).toMatch(/delete/);
    const op = await request(gw.app).get('/fhir/Patient/$nonsense').set('Authorization', auth);
    expect(op.status).toBe(404);
  });

  test('AuditEvents cannot be updated or deleted through the API (A3)', async () => {
    const put = await request(gw.app).put('/fhir/AuditEvent/x').set('Authorization', auth).send({ resourceType: 'AuditEvent', id: 'x' });
    expect(put.status).toBe(405);
    const del = await request(gw.app).delete('/fhir/AuditEvent/x').set('Authorization', auth);
    expect(del.status).toBe(405);
  });

  test('no token answers 401 with a WWW-Authenticate challenge', async () => {
    const res = await request(gw.app).get('/fhir/Patient');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe.each(backends())('unknown references (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  const encounter = (subject: string) => ({
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: subject },
  });

  test('a write pointing at a resource that does not exist answers 400 naming the path, and stores nothing', async () => {
    const res = await request(gw.app).post('/fhir/Encounter').set('Authorization', auth).send(encounter('Patient/ghost'));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details.text).toBe("Unknown reference 'Patient/ghost'");
    expect(res.body.issue[0].expression).toEqual(['Encounter.subject.reference']);
    const count = await request(gw.app).get('/fhir/Encounter?_summary=count').set('Authorization', auth);
    expect(count.body.total).toBe(0);
  });

  test('a transaction entry with an unknown reference rolls the whole Bundle back', async () => {
    const res = await request(gw.app)
      .post('/fhir')
      .set('Authorization', auth)
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222', resource: { resourceType: 'Patient', name: [{ family: 'Viite' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: encounter('urn:uuid:22222222-2222-4222-8222-222222222222'), request: { method: 'POST', url: 'Encounter' } },
          { resource: encounter('Patient/ghost'), request: { method: 'POST', url: 'Encounter' } },
        ],
      });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toMatch(/Bundle\.entry\[2\].*Unknown reference 'Patient\/ghost'|Unknown reference 'Patient\/ghost'/);
    const count = await request(gw.app).get('/fhir/Patient?name=viite&_summary=count').set('Authorization', auth);
    expect(count.body.total).toBe(0);
  });
});
