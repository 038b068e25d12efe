// Conditional create/update/delete, conditional references in transactions and update-as-create, over HTTP on every backend and through two client libraries.
import { MedplumClient } from '@medplum/core';
import type { Observation, Patient } from '@medplum/fhirtypes';
import { Client } from 'fhir-kit-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { hetu } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { listenOnLoopback, type Listening } from '../conformance/listen.js';
import { heartRate } from '../support/observations.js';

const HetuSystem = 'urn:oid:1.2.246.21';
let seq = 900;
const nextHetu = (): string => hetu('1970-05-05', seq++);
const patient = (h: string, family = 'Ehdollinen'): Patient => ({
  resourceType: 'Patient',
  identifier: [{ system: HetuSystem, value: h }],
  name: [{ family, given: ['Testi'] }],
  gender: 'female',
  birthDate: '1970-05-05',
});
const observation = heartRate;

describe.each(backends())('conditional interactions (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  let org: string;
  const fhir = () => request(gw.app);
  const json = 'application/fhir+json';

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
    // A system of an organisation sees directory data only: its policy withholds Patients.
    org = `Bearer ${await gw.token({ sub: 'org-system', kanta_role: 'system', organization: '1.2.246.10.1234567', scope: 'system/*.cruds', client_id: 'org-system' })}`;
  });
  afterAll(async () => gw?.close());

  test('conditional create: no match creates (201), one match returns it (200) and creates nothing, several are 412', async () => {
    const h = nextHetu();
    const first = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).set('If-None-Exist', `identifier=${HetuSystem}|${h}`).send(patient(h));
    expect(first.status).toBe(201);
    const again = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).set('If-None-Exist', `identifier=${HetuSystem}|${h}`).send(patient(h, 'Toinen'));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.name[0].family).toBe('Ehdollinen');
    await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send(patient(h));
    const many = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).set('If-None-Exist', `identifier=${HetuSystem}|${h}`).send(patient(h));
    expect(many.status).toBe(412);
    expect(many.body.resourceType).toBe('OperationOutcome');
    const all = await fhir().get(`/fhir/Patient?identifier=${encodeURIComponent(`${HetuSystem}|${h}`)}&_total=accurate`).set('Authorization', auth);
    expect(all.body.total).toBe(2);
  });

  test('conditional criteria with an unknown parameter are 400 and change nothing', async () => {
    const h = nextHetu();
    const res = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).set('If-None-Exist', 'no-such-param=1').send(patient(h));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/no-such-param/);
    const none = await fhir().put('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send(patient(h));
    expect(none.status).toBe(400);
    expect(none.body.issue[0].details.text).toMatch(/needs search criteria/);
  });

  test('conditional update: no match creates, one match is updated in place, several are 412', async () => {
    const h = nextHetu();
    const url = `/fhir/Patient?identifier=${encodeURIComponent(`${HetuSystem}|${h}`)}`;
    const created = await fhir().put(url).set('Authorization', auth).set('Content-Type', json).send(patient(h));
    expect(created.status).toBe(201);
    expect(created.headers.location).toMatch(new RegExp(`/Patient/${created.body.id}/_history/1$`));
    const updated = await fhir().put(url).set('Authorization', auth).set('Content-Type', json).send({ ...patient(h), gender: 'male' });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe('2');
    const wrongId = await fhir().put(url).set('Authorization', auth).set('Content-Type', json).send({ ...patient(h), id: 'someone-else' });
    expect(wrongId.status).toBe(400);
    expect(wrongId.body.issue[0].details.text).toMatch(/not the id/);
    await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send(patient(h));
    const many = await fhir().put(url).set('Authorization', auth).set('Content-Type', json).send(patient(h));
    expect(many.status).toBe(412);
  });

  test('conditional delete removes the single match; none is 404, several are 412', async () => {
    const p = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send(patient(nextHetu()));
    await fhir().post('/fhir/Observation').set('Authorization', auth).set('Content-Type', json).send(observation(p.body.id, 71));
    await fhir().post('/fhir/Observation').set('Authorization', auth).set('Content-Type', json).send(observation(p.body.id, 72));
    const many = await fhir().delete(`/fhir/Observation?subject=Patient/${p.body.id}`).set('Authorization', auth);
    expect(many.status).toBe(412);
    const one = await fhir().delete(`/fhir/Observation?subject=Patient/${p.body.id}&value-quantity=71`).set('Authorization', auth);
    expect(one.status).toBe(200);
    const left = await fhir().get(`/fhir/Observation?subject=Patient/${p.body.id}`).set('Authorization', auth);
    expect(left.body.entry.map((e: { resource: Observation }) => e.resource.valueQuantity?.value)).toEqual([72]);
    const none = await fhir().delete(`/fhir/Observation?subject=Patient/${p.body.id}&value-quantity=71`).set('Authorization', auth);
    expect(none.status).toBe(404);
    const notDeletable = await fhir().delete(`/fhir/Patient?_id=${p.body.id}`).set('Authorization', auth);
    expect(notDeletable.status).toBe(405);
  });

  test('a caller whose consent-limited access could hide a match gets 403 whether or not anything matches (nothing betrayed)', async () => {
    const h = nextHetu();
    await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send(patient(h));
    const hidden = await fhir().post('/fhir/Patient').set('Authorization', org).set('Content-Type', json).set('If-None-Exist', `identifier=${HetuSystem}|${h}`).send(patient(h));
    const absent = await fhir().post('/fhir/Patient').set('Authorization', org).set('Content-Type', json).set('If-None-Exist', `identifier=${HetuSystem}|${nextHetu()}`).send(patient(h));
    expect(hidden.status).toBe(403);
    expect(absent.status).toBe(403);
    expect(hidden.body.issue).toEqual(absent.body.issue);
    expect(hidden.body.issue[0].details.text).toMatch(/Conditional create/);
    const update = await fhir().put(`/fhir/Patient?identifier=${encodeURIComponent(`${HetuSystem}|${h}`)}`).set('Authorization', org).set('Content-Type', json).send(patient(h));
    expect(update.status).toBe(403);
    const count = await fhir().get(`/fhir/Patient?identifier=${encodeURIComponent(`${HetuSystem}|${h}`)}&_total=accurate`).set('Authorization', auth);
    expect(count.body.total).toBe(1);
  });

  test('update-as-create keeps a client id for the archive operator only; others get 404 as before', async () => {
    const id = `migrated-${seq}`;
    const operator = await fhir().put(`/fhir/Patient/${id}`).set('Authorization', auth).set('Content-Type', json).send({ ...patient(nextHetu()), id });
    expect(operator.status).toBe(201);
    expect(operator.body.id).toBe(id);
    expect(operator.body.meta.versionId).toBe('1');
    const other = await fhir().put('/fhir/Organization/not-there').set('Authorization', org).set('Content-Type', json).send({ resourceType: 'Organization', id: 'not-there', name: 'X' });
    expect(other.status).toBe(404);
  });

  test('a transaction links entries by conditional reference (Patient?identifier=HETU) and by conditional create', async () => {
    const h = nextHetu();
    const existing = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send(patient(h));
    const h2 = nextHetu();
    const tx = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'POST', url: 'Observation' }, resource: { ...observation('x', 80), subject: { reference: `Patient?identifier=${HetuSystem}|${h}` } } },
        { fullUrl: 'urn:uuid:4a1f0c9e-1111-4c8e-9a0a-000000000001', request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${HetuSystem}|${h}` }, resource: patient(h) },
        { request: { method: 'POST', url: 'Observation' }, resource: { ...observation('x', 81), subject: { reference: 'urn:uuid:4a1f0c9e-1111-4c8e-9a0a-000000000001' } } },
        { fullUrl: 'urn:uuid:4a1f0c9e-1111-4c8e-9a0a-000000000002', request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${HetuSystem}|${h2}` }, resource: patient(h2) },
        { request: { method: 'POST', url: 'Observation' }, resource: { ...observation('x', 82), subject: { reference: 'urn:uuid:4a1f0c9e-1111-4c8e-9a0a-000000000002' } } },
      ],
    };
    const res = await fhir().post('/fhir').set('Authorization', auth).set('Content-Type', json).send(tx);
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201', '200', '201', '201', '201']);
    expect(res.body.entry[0].resource.subject.reference).toBe(`Patient/${existing.body.id}`);
    expect(res.body.entry[2].resource.subject.reference).toBe(`Patient/${existing.body.id}`);
    expect(res.body.entry[4].resource.subject.reference).toBe(`Patient/${res.body.entry[3].resource.id}`);
    const unknown = await fhir()
      .post('/fhir')
      .set('Authorization', auth)
      .set('Content-Type', json)
      .send({ ...tx, entry: [{ request: { method: 'POST', url: 'Observation' }, resource: { ...observation('x', 90), subject: { reference: `Patient?identifier=${HetuSystem}|${nextHetu()}` } } }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.issue[0].details.text).toMatch(/matches no resource/);
    expect(unknown.body.issue[0].expression[0]).toBe('Bundle.entry[0]');
  });

  test('the CapabilityStatement declares conditional create, update and single delete', async () => {
    const cs = (await fhir().get('/fhir/metadata')).body;
    const obs = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
    expect(obs).toMatchObject({ conditionalCreate: true, conditionalUpdate: true, conditionalDelete: 'single', updateCreate: true });
    const audit = cs.rest[0].resource.find((r: { type: string }) => r.type === 'AuditEvent');
    expect(audit).toMatchObject({ conditionalCreate: false, conditionalUpdate: false, conditionalDelete: 'not-supported' });
  });

  describe('through client libraries', () => {
    let server: Listening;
    beforeAll(async () => {
      server = await listenOnLoopback(gw.app);
    });
    afterAll(async () => server?.close());

    test('fhir-kit-client conditional update (update with searchParams)', async () => {
      const client = new Client({ baseUrl: server.base, bearerToken: await gw.token(SystemClaims) });
      const h = nextHetu();
      const first = (await client.update({ resourceType: 'Patient', searchParams: { identifier: `${HetuSystem}|${h}` }, body: patient(h) as never })) as Patient;
      const second = (await client.update({ resourceType: 'Patient', searchParams: { identifier: `${HetuSystem}|${h}` }, body: { ...patient(h), gender: 'male' } as never })) as Patient;
      expect(second.id).toBe(first.id);
      expect(second.meta?.versionId).toBe('2');
    });

    test('MedplumClient upsertResource (conditional update) and createResourceIfNoneExist', async () => {
      const client = new MedplumClient({ baseUrl: server.base.replace(/fhir$/, ''), fhirUrlPath: 'fhir', fetch: globalThis.fetch, cacheTime: 0 });
      client.setAccessToken(await gw.token(SystemClaims));
      const h = nextHetu();
      const a = await client.upsertResource(patient(h), { identifier: `${HetuSystem}|${h}` });
      const b = await client.upsertResource({ ...patient(h), gender: 'male' }, { identifier: `${HetuSystem}|${h}` });
      expect(b.id).toBe(a.id);
      expect(b.gender).toBe('male');
      const c = await client.createResourceIfNoneExist(patient(h), `identifier=${HetuSystem}|${h}`);
      expect(c.id).toBe(a.id);
    });
  });
});
