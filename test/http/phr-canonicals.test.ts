// Kanta PHR apps unchanged: Observations declaring Kanta PHR's canonicals (fiphr-sd-*) or HL7 vital-signs profiles are validated against ours.
import type { Observation } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { profileUrl } from '../../src/kanta/codes.js';
import { LoincSystem, ObservationCategorySystem, PhrKind, PhrKinds, type PhrKindCode, UcumSystem } from '../../src/pds/phr-kinds.js';
import { backends } from '../support/backends.js';
import { hetu } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const json = 'application/fhir+json';

function measurement(kind: PhrKindCode, patient: string, profile: string, value: number | [number, number]): Observation {
  const d = PhrKinds[kind];
  const q = (v: number) => ({ value: v, unit: d.units[0], system: UcumSystem, code: d.units[0] });
  return {
    resourceType: 'Observation',
    meta: { profile: [profile] },
    status: 'final',
    category: [{ coding: [{ system: ObservationCategorySystem, code: d.category }] }],
    code: { coding: [{ system: LoincSystem, code: d.loinc, display: d.display }] },
    subject: { reference: `Patient/${patient}` },
    performer: [{ reference: `Patient/${patient}` }],
    effectiveDateTime: '2025-03-03T07:30:00+02:00',
    ...(d.components
      ? { component: d.components.map((c, i) => ({ code: { coding: [{ system: LoincSystem, code: c.loinc }] }, valueQuantity: q((value as [number, number])[i]) })) }
      : { valueQuantity: q(value as number) }),
  } as Observation;
}

describe.each(backends())('Kanta PHR and HL7 vital-signs canonicals (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  let patient: string;
  const fhir = () => request(gw.app);
  const post = (o: Observation) => fhir().post('/fhir/Observation').set('Authorization', auth).set('Content-Type', json).send(o);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
    patient = (await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu('1980-04-04', 930) }] })).body.id;
  });
  afterAll(async () => gw?.close());

  test('fiphr-sd-bloodpressure, HL7 bp and generic fiphr-sd-vitalsigns (by code) are accepted and validated as ours', async () => {
    const kanta = await post(measurement(PhrKind.BloodPressure, patient, 'http://phr.kanta.fi/StructureDefinition/fiphr-sd-bloodpressure', [120, 80]));
    expect(kanta.status).toBe(201);
    expect(kanta.body.meta.profile).toContain('http://phr.kanta.fi/StructureDefinition/fiphr-sd-bloodpressure');
    expect(profileUrl(PhrKinds[PhrKind.BloodPressure].profileId)).toMatch(/phr-blood-pressure$/);
    expect((await post(measurement(PhrKind.BloodPressure, patient, 'http://hl7.org/fhir/StructureDefinition/bp', [121, 81]))).status).toBe(201);
    expect((await post(measurement(PhrKind.HeartRate, patient, 'http://phr.kanta.fi/StructureDefinition/fiphr-sd-vitalsigns', 61))).status).toBe(201);
    expect((await post(measurement(PhrKind.BodyWeight, patient, 'http://hl7.org/fhir/StructureDefinition/bodyweight|4.0.1', 70))).status).toBe(201);
  });

  test('the equivalent profile still judges: a Kanta-declared blood pressure without its components is refused naming the rule', async () => {
    const o = measurement(PhrKind.BloodPressure, patient, 'http://phr.kanta.fi/StructureDefinition/fiphr-sd-bloodpressure', [120, 80]);
    delete o.component;
    const res = await post(o);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toMatch(/component/);
    const wrongUnit = measurement(PhrKind.BodyWeight, patient, 'http://hl7.org/fhir/StructureDefinition/bodyweight', 70);
    wrongUnit.valueQuantity = { value: 70, unit: 'lb', system: UcumSystem, code: '[lb_av]' };
    expect((await post(wrongUnit)).status).toBe(400);
  });

  test('a canonical with no equivalent here is still an unknown profile', async () => {
    const res = await post(measurement(PhrKind.Steps, patient, 'http://phr.kanta.fi/StructureDefinition/fiphr-sd-nutrition', 1000));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details.text).toMatch(/Unknown profile/);
  });

  test('/metadata lists the accepted canonicals as supported Observation profiles', async () => {
    const cs = (await fhir().get('/fhir/metadata')).body;
    const obs = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
    expect(obs.supportedProfile).toEqual(expect.arrayContaining(['http://phr.kanta.fi/StructureDefinition/fiphr-sd-bloodpressure', 'http://hl7.org/fhir/StructureDefinition/bp', 'http://phr.kanta.fi/StructureDefinition/fiphr-sd-vitalsigns']));
  });
});
