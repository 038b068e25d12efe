// $meta, $meta-add, $meta-delete and Observation/$lastn over HTTP on every backend.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { hetu } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const json = 'application/fhir+json';
const tag = { system: 'http://example.org/tags', code: 'reviewed' };
const obs = (patient: string, code: string, value: number, day: number) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: `2026-01-${String(day).padStart(2, '0')}T10:00:00Z`,
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

describe.each(backends())('$meta and $lastn (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  let patient: string;
  const fhir = () => request(gw.app);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
    patient = (await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu('1982-06-06', 960) }] })).body.id;
  });
  afterAll(async () => gw?.close());

  test('$meta-add adds a tag (new version), $meta reads it, $meta-delete removes it; security labels are refused', async () => {
    const params = (meta: object) => ({ resourceType: 'Parameters', parameter: [{ name: 'meta', valueMeta: meta }] });
    const added = await fhir().post(`/fhir/Patient/${patient}/$meta-add`).set('Authorization', auth).set('Content-Type', json).send(params({ tag: [tag] }));
    expect(added.status).toBe(200);
    expect(added.body.parameter[0].valueMeta.tag).toContainEqual(tag);
    const read = await fhir().get(`/fhir/Patient/${patient}/$meta`).set('Authorization', auth);
    expect(read.body.parameter[0].valueMeta.tag).toContainEqual(tag);
    const removed = await fhir().post(`/fhir/Patient/${patient}/$meta-delete`).set('Authorization', auth).set('Content-Type', json).send(params({ tag: [tag] }));
    expect(removed.body.parameter[0].valueMeta.tag ?? []).not.toContainEqual(tag);
    const security = await fhir().post(`/fhir/Patient/${patient}/$meta-delete`).set('Authorization', auth).set('Content-Type', json).send(params({ security: [{ system: 'x', code: 'y' }] }));
    expect(security.status).toBe(400);
    expect(security.body.issue[0].expression).toEqual(['meta.security']);
    const unknownProfile = await fhir().post(`/fhir/Patient/${patient}/$meta-add`).set('Authorization', auth).set('Content-Type', json).send(params({ profile: ['http://example.org/no-such-profile'] }));
    expect(unknownProfile.status).toBe(400);
    const viaGet = await fhir().get(`/fhir/Patient/${patient}/$meta-add`).set('Authorization', auth);
    expect(viaGet.status).toBe(405);
    const audit = await fhir().post(`/fhir/AuditEvent/x/$meta-add`).set('Authorization', auth).set('Content-Type', json).send(params({ tag: [tag] }));
    expect(audit.status).toBe(404);
  });

  test('Observation/$lastn returns the newest max per code for the patient', async () => {
    for (const [code, value, day] of [['8867-4', 60, 1], ['8867-4', 61, 2], ['8867-4', 62, 3], ['8310-5', 36, 1], ['8310-5', 37, 2]] as const) {
      await fhir().post('/fhir/Observation').set('Authorization', auth).set('Content-Type', json).send(obs(patient, code, value, day));
    }
    const one = await fhir().get(`/fhir/Observation/$lastn?patient=Patient/${patient}`).set('Authorization', auth);
    expect(one.status).toBe(200);
    expect(one.body.entry.map((e: { resource: { valueQuantity: { value: number } } }) => e.resource.valueQuantity.value).sort()).toEqual([37, 62]);
    const two = await fhir().get(`/fhir/Observation/$lastn?patient=Patient/${patient}&max=2&code=8867-4`).set('Authorization', auth);
    expect(two.body.entry.map((e: { resource: { valueQuantity: { value: number } } }) => e.resource.valueQuantity.value)).toEqual([62, 61]);
    const noPatient = await fhir().get('/fhir/Observation/$lastn').set('Authorization', auth);
    expect(noPatient.status).toBe(400);
    const badMax = await fhir().get(`/fhir/Observation/$lastn?patient=Patient/${patient}&max=0`).set('Authorization', auth);
    expect(badMax.status).toBe(400);
  });
});
