// $validate judges references like create does, so it never says "no errors" for a resource create would refuse.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const obs = (subject: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: subject },
  valueQuantity: { value: 60, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

// Reference resolution reads through the same guarded store on both backends; the store itself is covered elsewhere.
describe('$validate and references (sqlite)', () => {
  let gw: TestGateway;
  let auth: string;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  test('an unknown reference is an error in $validate (default and mode=create) as it is in create; mode=profile ignores it', async () => {
    const created = await request(gw.app).post('/fhir/Observation').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(obs('Patient/nobody'));
    expect(created.status).toBe(400);
    const v = await request(gw.app).post('/fhir/Observation/$validate').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(obs('Patient/nobody'));
    expect(v.status).toBe(200);
    expect(v.body.issue.some((i: { severity: string; details: { text: string } }) => i.severity === 'error' && /Unknown reference 'Patient\/nobody'/.test(i.details.text))).toBe(true);
    const params = (mode: string) => ({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: mode }, { name: 'resource', resource: obs('Patient/nobody') }] });
    const create = await request(gw.app).post('/fhir/Observation/$validate').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(params('create'));
    expect(create.body.issue.some((i: { severity: string }) => i.severity === 'error')).toBe(true);
    const profile = await request(gw.app).post('/fhir/Observation/$validate').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(params('profile'));
    expect(profile.body.issue.some((i: { severity: string }) => i.severity === 'error')).toBe(false);
    const bad = await request(gw.app).post('/fhir/Observation/$validate?mode=nonsense').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(obs('Patient/nobody'));
    expect(bad.status).toBe(400);
  });
});
