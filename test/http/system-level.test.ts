// System-level search and history, Patient compartment search, history _since/_at and $everything paging, over HTTP on every backend.
import { MedplumClient } from '@medplum/core';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { hetu } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { listenOnLoopback, type Listening } from '../conformance/listen.js';
import { heartRate } from '../support/observations.js';

const json = 'application/fhir+json';
const observation = heartRate;
const link = (b: Bundle, rel: string) => b.link?.find((l) => l.relation === rel)?.url;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(backends())('system level, compartments and history (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  let patientId: string;
  const fhir = () => request(gw.app);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
    const p = await fhir()
      .post('/fhir/Patient')
      .set('Authorization', auth)
      .set('Content-Type', json)
      .send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu('1960-02-02', 950) }], birthDate: '1960-02-02' });
    patientId = p.body.id;
    for (let i = 0; i < 7; i++) await fhir().post('/fhir/Observation').set('Authorization', auth).set('Content-Type', json).send(observation(patientId, 60 + i));
  });
  afterAll(async () => gw?.close());

  test('GET [base]?_type= searches several types; POST [base]/_search does the same; first/last links page it', async () => {
    const res = await fhir().get(`/fhir?_type=Patient,Observation&_count=3`).set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('searchset');
    expect(res.body.total).toBe(8);
    expect(res.body.entry).toHaveLength(3);
    expect(res.body.entry[0].resource.resourceType).toBe('Patient');
    expect(link(res.body, 'first')).toMatch(/\/fhir\?/);
    expect(link(res.body, 'last')).toMatch(/_offset=6/);
    const seen = new Set<string>();
    let next: string | undefined = link(res.body, 'self');
    while (next) {
      const page = await fhir().get(new URL(next).pathname + new URL(next).search).set('Authorization', auth);
      for (const e of page.body.entry ?? []) seen.add(`${e.resource.resourceType}/${e.resource.id}`);
      next = link(page.body, 'next');
    }
    expect(seen.size).toBe(8);
    const post = await fhir().post('/fhir/_search').set('Authorization', auth).type('form').send('_type=Observation&_count=100');
    expect(post.status).toBe(200);
    expect(post.body.total).toBe(7);
    const bad = await fhir().get('/fhir?_type=Nonsense').set('Authorization', auth);
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].details.text).toMatch(/_type 'Nonsense'/);
  });

  test('GET [base]/_history lists versions of every type; a token without a * scope may not ask', async () => {
    const res = await fhir().get('/fhir/_history?_count=100').set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('history');
    const types = new Set(res.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType));
    expect(types).toContain('Patient');
    expect(types).toContain('Observation');
    const narrow = await gw.token({ ...SystemClaims, scope: 'system/Observation.rs' });
    const refused = await fhir().get('/fhir/_history').set('Authorization', `Bearer ${narrow}`);
    expect(refused.status).toBe(403);
  });

  test('compartment search Patient/[id]/Observation returns that patient\'s observations; a non-compartment type is 404', async () => {
    const res = await fhir().get(`/fhir/Patient/${patientId}/Observation?_count=100`).set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(7);
    const narrowed = await fhir().get(`/fhir/Patient/${patientId}/Observation?value-quantity=61`).set('Authorization', auth);
    expect(narrowed.body.entry).toHaveLength(1);
    const other = await fhir().get(`/fhir/Patient/not-a-patient/Observation`).set('Authorization', auth);
    expect(other.body.entry ?? []).toHaveLength(0);
    const notInCompartment = await fhir().get(`/fhir/Patient/${patientId}/Organization`).set('Authorization', auth);
    expect(notInCompartment.status).toBe(404);
  });

  test('history _since is "at or after"; nothing since is an empty Bundle, not 404; _at picks the version current then', async () => {
    const created = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send({ resourceType: 'Patient', birthDate: '1961-01-01' });
    const id = created.body.id;
    const v1At = created.body.meta.lastUpdated;
    await sleep(5);
    const v2 = await fhir().put(`/fhir/Patient/${id}`).set('Authorization', auth).set('Content-Type', json).send({ ...created.body, gender: 'male' });
    const atOrAfter = await fhir().get(`/fhir/Patient/${id}/_history?_since=${encodeURIComponent(v2.body.meta.lastUpdated)}`).set('Authorization', auth);
    expect(atOrAfter.status).toBe(200);
    expect(atOrAfter.body.entry.map((e: { resource: Patient }) => e.resource.meta?.versionId)).toEqual(['2']);
    const future = await fhir().get(`/fhir/Patient/${id}/_history?_since=2999-01-01T00:00:00Z`).set('Authorization', auth);
    expect(future.status).toBe(200);
    expect(future.body.total).toBe(0);
    expect(future.body.entry ?? []).toEqual([]);
    const atV1 = await fhir().get(`/fhir/Patient/${id}/_history?_at=${encodeURIComponent(v1At)}`).set('Authorization', auth);
    expect(atV1.body.entry.map((e: { resource: Patient }) => e.resource.meta?.versionId)).toEqual(['1']);
    const now = await fhir().get(`/fhir/Patient/${id}/_history?_at=${encodeURIComponent(new Date().toISOString())}`).set('Authorization', auth);
    expect(now.body.entry.map((e: { resource: Patient }) => e.resource.meta?.versionId)).toEqual(['2']);
    const bad = await fhir().get(`/fhir/Patient/${id}/_history?_at=yesterday`).set('Authorization', auth);
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression).toEqual(['_at']);
    const missing = await fhir().get(`/fhir/Patient/nobody/_history?_since=2000-01-01`).set('Authorization', auth);
    expect(missing.status).toBe(404);
  });

  test('$everything honours _count with next links, _type and _since', async () => {
    const first = await fhir().get(`/fhir/Patient/${patientId}/$everything?_count=3`).set('Authorization', auth);
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(8);
    expect(first.body.entry).toHaveLength(3);
    expect(first.body.entry[0].resource.resourceType).toBe('Patient');
    expect(link(first.body, 'next')).toMatch(/_offset=3/);
    const onlyObs = await fhir().get(`/fhir/Patient/${patientId}/$everything?_type=Observation`).set('Authorization', auth);
    expect(onlyObs.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toEqual(Array(7).fill('Observation'));
    const none = await fhir().get(`/fhir/Patient/${patientId}/$everything?_since=2999-01-01T00:00:00Z`).set('Authorization', auth);
    expect(none.body.total).toBe(0);
    const badType = await fhir().get(`/fhir/Patient/${patientId}/$everything?_type=Organization`).set('Authorization', auth);
    expect(badType.status).toBe(400);
  });

  test('the CapabilityStatement declares search-system, history-system and the Patient compartment', async () => {
    const cs = (await fhir().get('/fhir/metadata')).body;
    const codes = cs.rest[0].interaction.map((i: { code: string }) => i.code);
    expect(codes).toEqual(expect.arrayContaining(['transaction', 'batch', 'search-system', 'history-system']));
    expect(cs.rest[0].compartment).toEqual(['http://hl7.org/fhir/CompartmentDefinition/patient']);
  });

  describe('through MedplumClient', () => {
    let server: Listening;
    beforeAll(async () => {
      server = await listenOnLoopback(gw.app);
    });
    afterAll(async () => server?.close());

    test('$everything pages by following next links', async () => {
      const client = new MedplumClient({ baseUrl: server.base.replace(/fhir$/, ''), fhirUrlPath: 'fhir', fetch: globalThis.fetch, cacheTime: 0 });
      client.setAccessToken(await gw.token(SystemClaims));
      let page: Bundle | undefined = await client.get(client.fhirUrl('Patient', patientId, '$everything') + '?_count=3');
      const ids: string[] = [];
      while (page) {
        ids.push(...(page.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
        const next = page.link?.find((l) => l.relation === 'next')?.url;
        page = next ? await client.get(next) : undefined;
      }
      expect(ids).toHaveLength(8);
      expect(new Set(ids).size).toBe(8);
    });
  });
});
