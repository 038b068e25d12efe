// A2 fail-closed for real: a trigger installed over a separate raw connection makes every audit_chain INSERT fail; no data may leave and no write may stay.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { backends, type Backend } from '../support/backends.js';
import { SystemClaims } from '../support/test-gateway.js';
import { startWithRawAccess, type Started } from './audit-support.js';

const HETU = '131052-308T';
const FAMILY = 'Vikatilanne';

const breakAudit = (backend: Backend): string[] =>
  backend === 'sqlite'
    ? [`CREATE TRIGGER audit_store_down BEFORE INSERT ON audit_chain BEGIN SELECT RAISE(ABORT, 'audit store is down'); END`]
    : [
        `CREATE FUNCTION audit_store_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store is down'; END $$`,
        'CREATE TRIGGER audit_store_down BEFORE INSERT ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_store_down()',
      ];
const repairAudit = (backend: Backend): string[] =>
  backend === 'sqlite' ? ['DROP TRIGGER audit_store_down'] : ['DROP TRIGGER audit_store_down ON audit_chain', 'DROP FUNCTION audit_store_down()'];

function expectNoData(res: request.Response, ...secrets: string[]): void {
  expect(res.status).toBe(503);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe('transient');
  expect(res.body.issue[0].details.text).toMatch(/audit log cannot be written/);
  for (const s of secrets) expect(res.text).not.toContain(s);
}

describe.each(backends())('A2: fail-closed audit (%s)', (backend) => {
  let s: Started;
  let auth: string;
  let patientId: string;
  const fhir = () => request(s.gateway.app);

  beforeAll(async () => {
    s = await startWithRawAccess(backend);
    auth = `Bearer ${await s.gateway.devIssuer!.mint(SystemClaims)}`;
    const created = await fhir()
      .post('/fhir/Patient')
      .set('Authorization', auth)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: HETU }], name: [{ family: FAMILY, given: ['Testi'] }], birthDate: '1952-10-13' });
    expect(created.status).toBe(201);
    patientId = created.body.id;
    for (const sql of breakAudit(backend)) await s.raw.exec(sql);
  });
  afterAll(async () => s?.close());

  test('A2: with the audit store failing, a read answers 503 with an OperationOutcome and none of the record', async () => {
    expectNoData(await fhir().get(`/fhir/Patient/${patientId}`).set('Authorization', auth), FAMILY, HETU, '1952-10-13');
  });

  test('A2: a search, history and $everything answer 503 without data as well', async () => {
    expectNoData(await fhir().get(`/fhir/Patient?name=${FAMILY}`).set('Authorization', auth), FAMILY, HETU, patientId);
    expectNoData(await fhir().get(`/fhir/Patient/${patientId}/_history`).set('Authorization', auth), FAMILY, HETU);
    expectNoData(await fhir().get(`/fhir/Patient/${patientId}/$everything`).set('Authorization', auth), FAMILY, HETU);
  });

  test('A2: a refused or failed request whose audit cannot be written also answers 503', async () => {
    expectNoData(await fhir().get('/fhir/Patient/does-not-exist').set('Authorization', auth));
  });

  test('A2: a create, an update and a transaction answer 503 and store nothing', async () => {
    const body = { resourceType: 'Patient', name: [{ family: 'Kirjoitus', given: ['Ei'] }], birthDate: '1960-01-01' };
    expectNoData(await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(body), 'Kirjoitus');
    const update = await fhir()
      .put(`/fhir/Patient/${patientId}`)
      .set('Authorization', auth)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Patient', id: patientId, name: [{ family: 'Muutettu' }], birthDate: '1952-10-13' });
    expectNoData(update, 'Muutettu');
    const tx = await fhir()
      .post('/fhir')
      .set('Authorization', auth)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: body, request: { method: 'POST', url: 'Patient' } }] });
    expectNoData(tx, 'Kirjoitus');

    for (const sql of repairAudit(backend)) await s.raw.exec(sql);
    try {
      const written = await fhir().get('/fhir/Patient?name=Kirjoitus').set('Authorization', auth);
      expect(written.status).toBe(200);
      expect(written.body.total).toBe(0);
      const current = await fhir().get(`/fhir/Patient/${patientId}`).set('Authorization', auth);
      expect(current.body.meta.versionId).toBe('1');
      expect(current.body.name[0].family).toBe(FAMILY);
      // Nothing half-written either: the chain still verifies.
      const lines: string[] = [];
      expect(await runAuditVerify(s.env, (l) => lines.push(l))).toBe(0);
      expect(lines.join('\n')).toMatch(/Audit chain intact/);
    } finally {
      for (const sql of breakAudit(backend)) await s.raw.exec(sql);
    }
  });

  test('A2: a failing batch commit answers 503 with no data to every request in flight together, reads and writes alike', async () => {
    const calls: Array<Promise<request.Response>> = [];
    for (let i = 0; i < 8; i++) {
      calls.push(fhir().get(`/fhir/Patient/${patientId}`).set('Authorization', auth));
      calls.push(fhir().get(`/fhir/Patient?name=${FAMILY}`).set('Authorization', auth));
      calls.push(
        fhir()
          .post('/fhir/Patient')
          .set('Authorization', auth)
          .set('Content-Type', 'application/fhir+json')
          .send({ resourceType: 'Patient', name: [{ family: 'Ryhmakirjoitus' }], birthDate: '1961-01-01' }),
      );
    }
    for (const res of await Promise.all(calls)) expectNoData(res, FAMILY, HETU, 'Ryhmakirjoitus');
    const stored = await s.raw.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM resource WHERE content LIKE '%Ryhmakirjoitus%'`);
    expect(Number(stored[0].n)).toBe(0);
  });

  test('A2/S1: a bad token is still answered 401 (not 503) when even its login-failure event cannot be written', async () => {
    const res = await fhir().get(`/fhir/Patient/${patientId}`).set('Authorization', 'Bearer not-a-token');
    expect(res.status).toBe(401);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });
});
