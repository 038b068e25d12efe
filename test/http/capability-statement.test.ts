// F1: /metadata is generated from what is registered; every declared capability answers and nothing undeclared is served.
import request from 'supertest';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const sampleValue: Record<string, string> = {
  date: '2020-01-01',
  number: '1',
  quantity: '1',
  token: 'x',
  reference: 'Patient/x',
  string: 'x',
  uri: 'http://example.org/x',
};

describe('CapabilityStatement (F1)', () => {
  let gw: TestGateway;
  let auth: string;
  let cs: CapabilityStatement;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    auth = `Bearer ${await gw.token(SystemClaims)}`;
    cs = (await request(gw.app).get('/fhir/metadata')).body;
  });
  afterAll(async () => gw?.close());

  test('F1: /metadata is a FHIR 4.0.1 CapabilityStatement in JSON without authentication', () => {
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
    expect(cs.format).toContain('application/fhir+json');
    expect(cs.rest?.[0].mode).toBe('server');
  });

  test('F1: every declared search parameter is accepted under strict handling', async () => {
    const failures: string[] = [];
    for (const r of cs.rest![0].resource!) {
      for (const sp of r.searchParam ?? []) {
        const res = await request(gw.app)
          .get(`/fhir/${r.type}?${encodeURIComponent(sp.name)}=${encodeURIComponent(sampleValue[sp.type] ?? 'x')}&_count=1`)
          .set('Authorization', auth)
          .set('Prefer', 'handling=strict');
        if (res.status !== 200) failures.push(`${r.type}?${sp.name} (${sp.type}) -> ${res.status} ${JSON.stringify(res.body.issue?.[0]?.details?.text)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test('F1: every declared interaction is routed and every undeclared one is refused with 405', async () => {
    const probes: Record<string, (type: string) => request.Test> = {
      read: (t) => request(gw.app).get(`/fhir/${t}/probe-id`),
      vread: (t) => request(gw.app).get(`/fhir/${t}/probe-id/_history/1`),
      'history-instance': (t) => request(gw.app).get(`/fhir/${t}/probe-id/_history`),
      'history-type': (t) => request(gw.app).get(`/fhir/${t}/_history`),
      'search-type': (t) => request(gw.app).get(`/fhir/${t}?_count=1`),
      create: (t) => request(gw.app).post(`/fhir/${t}`).send({ resourceType: t }),
      update: (t) => request(gw.app).put(`/fhir/${t}/probe-id`).send({ resourceType: t, id: 'probe-id' }),
      delete: (t) => request(gw.app).delete(`/fhir/${t}/probe-id`),
    };
    const problems: string[] = [];
    for (const r of cs.rest![0].resource!) {
      const declared = new Set((r.interaction ?? []).map((i) => i.code));
      for (const [code, probe] of Object.entries(probes)) {
        const res = await probe(r.type).set('Authorization', auth);
        if (declared.has(code as 'read') && res.status === 405) problems.push(`${r.type} ${code} declared but refused`);
        if (!declared.has(code as 'read') && res.status !== 405) problems.push(`${r.type} ${code} not declared but answered ${res.status}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('F1: a type that is not declared is not served', async () => {
    const declared = new Set(cs.rest![0].resource!.map((r) => r.type));
    expect(declared.has('Claim')).toBe(false);
    const res = await request(gw.app).get('/fhir/Claim').set('Authorization', auth);
    expect(res.status).toBe(404);
    expect(res.body.issue[0].details.text).toMatch(/not served/);
  });

  test('F1: every declared operation answers', async () => {
    const ops = cs.rest![0].resource!.flatMap((r) => (r.operation ?? []).map((o) => ({ type: r.type, name: o.name })));
    expect(ops.map((o) => `${o.type}/$${o.name}`)).toContain('Patient/$everything');
    for (const { type, name } of ops) {
      const typeLevel = await request(gw.app).post(`/fhir/${type}/$${name}`).set('Authorization', auth).send({ resourceType: 'Parameters' });
      const instanceGet = await request(gw.app).get(`/fhir/${type}/probe-id/$${name}`).set('Authorization', auth);
      // An operation that changes state answers GET with 405 (it needs POST); probe it the way it is meant to be called.
      const instanceLevel = instanceGet.status === 405 ? await request(gw.app).post(`/fhir/${type}/probe-id/$${name}`).set('Authorization', auth).send({ resourceType: 'Parameters' }) : instanceGet;
      const routed = [typeLevel, instanceLevel].filter((r) => !/is not supported/.test(r.body.issue?.[0]?.details?.text ?? ''));
      expect(routed.length, `${type}/$${name}`).toBeGreaterThan(0);
      // 403 is an answer too: the operation is routed but this caller's role may not run it (e.g. only a citizen deletes wellness data).
      for (const r of routed) {
        expect([200, 400, 403, 404], `${type}/$${name}`).toContain(r.status);
        if (r.status === 403) expect(r.body.issue[0].code).toBe('forbidden');
      }
    }
  });
});
