// PATCH over HTTP: JSON Patch and FHIRPath Patch, validated, version-checked, consent-guarded and audited like an update; driven by two client libraries too.
import { MedplumClient } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import { Client } from 'fhir-kit-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { listenOnLoopback, type Listening } from '../conformance/listen.js';

const patient = (family: string): Patient => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.246.21', value: '131052-308T' }],
  name: [{ family, given: ['Testi'] }],
  gender: 'female',
  birthDate: '1952-10-13',
});

const JsonPatch = 'application/json-patch+json';
const op = (type: string, path: string, rest: Array<Record<string, unknown>> = []) => ({
  name: 'operation',
  part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, ...rest],
});

describe.each(backends())('PATCH (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  const fhir = () => request(gw.app);
  const create = async (family: string): Promise<Patient> =>
    (await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(patient(family))).body;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  test('JSON Patch makes a new version; the result is what the patch says', async () => {
    const p = await create('Patchable');
    const res = await fhir()
      .patch(`/fhir/Patient/${p.id}`)
      .set('Authorization', auth)
      .set('Content-Type', JsonPatch)
      .send(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }, { op: 'add', path: '/name/0/given/-', value: 'Toinen' }]));
    expect(res.status).toBe(200);
    expect(res.body.gender).toBe('male');
    expect(res.body.name[0].given).toEqual(['Testi', 'Toinen']);
    expect(res.body.meta.versionId).toBe('2');
    expect(res.headers.etag).toBe('W/"2"');
    const read = await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth);
    expect(read.body.gender).toBe('male');
  });

  test('FHIRPath Patch (Parameters) replaces, adds, inserts and deletes', async () => {
    const p = await create('Polku');
    const body = {
      resourceType: 'Parameters',
      parameter: [
        op('replace', 'Patient.gender', [{ name: 'value', valueCode: 'other' }]),
        op('add', 'Patient', [{ name: 'name', valueString: 'telecom' }, { name: 'value', valueContactPoint: { system: 'phone', value: '+358401234567' } }]),
        op('insert', 'Patient.name[0].given', [{ name: 'index', valueInteger: 0 }, { name: 'value', valueString: 'Eka' }]),
        op('delete', 'Patient.birthDate'),
      ],
    };
    const res = await fhir().patch(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(body);
    expect(res.status).toBe(200);
    expect(res.body.gender).toBe('other');
    expect(res.body.telecom).toEqual([{ system: 'phone', value: '+358401234567' }]);
    expect(res.body.name[0].given).toEqual(['Eka', 'Testi']);
    expect(res.body.birthDate).toBeUndefined();
  });

  test('a stale If-Match answers 412 and changes nothing; the current one succeeds', async () => {
    const p = await create('Versio');
    const patch = JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }]);
    const stale = await fhir().patch(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('Content-Type', JsonPatch).set('If-Match', 'W/"9"').send(patch);
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth)).body.meta.versionId).toBe('1');
    const ok = await fhir().patch(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('Content-Type', JsonPatch).set('If-Match', 'W/"1"').send(patch);
    expect(ok.status).toBe(200);
  });

  test('bad patches get 400 or 422 with an OperationOutcome naming the problem, and store nothing', async () => {
    const p = await create('Huono');
    const send = (body: unknown, type = JsonPatch) => fhir().patch(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('Content-Type', type).send(JSON.stringify(body));
    const malformed = await send([{ op: 'frobnicate', path: '/gender' }]);
    expect(malformed.status).toBe(400);
    expect(malformed.body.issue[0].details.text).toMatch(/JSON Patch operation 0/);
    const failedTest = await send([{ op: 'test', path: '/gender', value: 'male' }, { op: 'replace', path: '/gender', value: 'other' }]);
    expect(failedTest.status).toBe(422);
    expect(failedTest.body.issue[0].details.text).toMatch(/test failed/);
    const invalidResult = await send([{ op: 'replace', path: '/gender', value: 'robot' }]);
    expect(invalidResult.status).toBe(400);
    expect(JSON.stringify(invalidResult.body.issue)).toMatch(/gender/);
    const changedId = await send([{ op: 'replace', path: '/id', value: 'other' }]);
    expect(changedId.status).toBe(422);
    expect(changedId.body.issue[0].details.text).toMatch(/may not change/);
    const notAPatch = await send({ resourceType: 'Patient' }, 'application/fhir+json');
    expect(notAPatch.status).toBe(400);
    const wrongType = await fhir().patch(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('Content-Type', 'text/plain').send('x');
    expect(wrongType.status).toBe(415);
    const badPath = await send({ resourceType: 'Parameters', parameter: [op('replace', 'Patient.telecom', [{ name: 'value', valueContactPoint: { system: 'phone', value: '1' } }])] }, 'application/fhir+json');
    expect(badPath.status).toBe(422);
    expect(badPath.body.issue[0].details.text).toMatch(/exactly one/);
    expect((await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth)).body.meta.versionId).toBe('1');
  });

  test('PATCH of a missing resource is 404; AuditEvent (append-only) is 405', async () => {
    const res = await fhir().patch('/fhir/Patient/nobody').set('Authorization', auth).set('Content-Type', JsonPatch).send('[]');
    expect(res.status).toBe(404);
    const audit = await fhir().patch('/fhir/AuditEvent/x').set('Authorization', auth).set('Content-Type', JsonPatch).send('[]');
    expect(audit.status).toBe(405);
  });

  test('PATCH is consent-guarded: a caller who cannot see the record gets 404 and the record is unchanged', async () => {
    const p = await create('Salainen');
    const org = `Bearer ${await gw.token({ sub: 'org-system', kanta_role: 'system', organization: '1.2.246.10.1234567', scope: 'system/*.cruds', client_id: 'org-system' })}`;
    const res = await fhir().patch(`/fhir/Patient/${p.id}`).set('Authorization', org).set('Content-Type', JsonPatch).send(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }]));
    expect(res.status).toBe(404);
    expect((await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth)).body.gender).toBe('female');
  });

  test('PATCH is audited as an update of the resource', async () => {
    const p = await create('Audit');
    await fhir().patch(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('Content-Type', JsonPatch).send(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }]));
    const events = await fhir().get(`/fhir/AuditEvent?entity=Patient/${p.id}&_count=100`).set('Authorization', auth);
    const actions = (events.body.entry ?? []).map((e: { resource: { action: string } }) => e.resource.action);
    expect(actions).toContain('U');
  });

  test('the CapabilityStatement declares patch and the patch formats', async () => {
    const cs = (await fhir().get('/fhir/metadata')).body;
    expect(cs.patchFormat).toEqual(['application/json-patch+json', 'application/fhir+json']);
    const pat = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(pat.interaction.map((i: { code: string }) => i.code)).toContain('patch');
    const audit = cs.rest[0].resource.find((r: { type: string }) => r.type === 'AuditEvent');
    expect(audit.interaction.map((i: { code: string }) => i.code)).not.toContain('patch');
  });

  describe('through client libraries', () => {
    let server: Listening;
    beforeAll(async () => {
      server = await listenOnLoopback(gw.app);
    });
    afterAll(async () => server?.close());

    test('fhir-kit-client patch sends JSON Patch', async () => {
      const client = new Client({ baseUrl: server.base, bearerToken: await gw.token(SystemClaims) });
      const p = await create('Kit');
      const res = (await client.patch({ resourceType: 'Patient', id: p.id!, jsonPatch: [{ op: 'replace', path: '/gender', value: 'male' }] as never })) as Patient;
      expect(res.gender).toBe('male');
      expect(res.meta?.versionId).toBe('2');
    });

    test('MedplumClient patchResource sends JSON Patch', async () => {
      const client = new MedplumClient({ baseUrl: server.base.replace(/fhir$/, ''), fhirUrlPath: 'fhir', fetch: globalThis.fetch, cacheTime: 0 });
      client.setAccessToken(await gw.token(SystemClaims));
      const p = await create('Medplum');
      const res = await client.patchResource('Patient', p.id!, [{ op: 'add', path: '/active', value: true }]);
      expect(res.active).toBe(true);
      expect(res.meta?.versionId).toBe('2');
    });
  });
});
