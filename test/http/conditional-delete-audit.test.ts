// A conditional delete's AuditEvent names the resource it deleted (entity.what), on every backend. https://profiles.ihe.net/ITI/BALP/
import { randomUUID } from 'node:crypto';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { hetu } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { heartRate } from '../support/observations.js';

const json = 'application/fhir+json';

describe.each(backends())('conditional delete audit (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  const fhir = () => request(gw.app);

  async function eventsOf(rid: string): Promise<AuditEvent[]> {
    const res = await fhir().get(`/fhir/AuditEvent?entity:identifier=${rid}&_count=100`).set('Authorization', auth);
    expect(res.status).toBe(200);
    return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
  }
  /** The system-object entities naming a resource (not the patient, not the query). */
  const objectRefs = (ev: AuditEvent): string[] =>
    (ev.entity ?? []).filter((e) => e.type?.code === '2' && e.what?.reference).map((e) => e.what!.reference!);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  async function observationOf(patientId: string, value: number): Promise<string> {
    const res = await fhir()
      .post('/fhir/Observation')
      .set('Authorization', auth)
      .set('Content-Type', json)
      .send(heartRate(patientId, value));
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  test('DELETE Type?criteria writes an AuditEvent (action D) whose entity names the deleted resource and its patient', async () => {
    const h = hetu('1971-06-06', 431);
    const p = await fhir()
      .post('/fhir/Patient')
      .set('Authorization', auth)
      .set('Content-Type', json)
      .send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: h }], name: [{ family: 'Poisto' }], gender: 'male', birthDate: '1971-06-06' });
    expect(p.status).toBe(201);
    const keep = await observationOf(p.body.id, 60);
    const gone = await observationOf(p.body.id, 61);
    const rid = `cd-${randomUUID()}`;
    const del = await fhir().delete(`/fhir/Observation?subject=Patient/${p.body.id}&value-quantity=61`).set('Authorization', auth).set('X-Request-Id', rid);
    expect(del.status).toBe(200);
    const events = await eventsOf(rid);
    expect(events).toHaveLength(1);
    const ev = events[0];
    expect(ev.action).toBe('D');
    expect(ev.outcome).toBe('0');
    expect(ev.subtype?.map((c) => c.code)).toContain('delete');
    expect(objectRefs(ev)).toEqual([`Observation/${gone}`]);
    expect(objectRefs(ev)).not.toContain(`Observation/${keep}`);
    expect(ev.entity?.some((e) => e.what?.reference === `Patient/${p.body.id}` && e.type?.code === '1')).toBe(true);
    // The criteria are recorded as the event's query (BALP entity.query), as for a search.
    const query = ev.entity?.find((e) => e.query);
    expect(Buffer.from(query?.query as string, 'base64').toString('utf8')).toBe(`Observation?subject=Patient%2F${p.body.id}&value-quantity=61`);
    const after = await fhir().get(`/fhir/Observation/${gone}`).set('Authorization', auth);
    expect(after.status).toBe(410);
  });

  test('a conditional delete that matches several deletes nothing and its AuditEvent names none of them as deleted', async () => {
    const h = hetu('1971-06-07', 433);
    const p = await fhir()
      .post('/fhir/Patient')
      .set('Authorization', auth)
      .set('Content-Type', json)
      .send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: h }], name: [{ family: 'Poisto' }], gender: 'male', birthDate: '1971-06-07' });
    await observationOf(p.body.id, 70);
    await observationOf(p.body.id, 70);
    const rid = `cd-${randomUUID()}`;
    const del = await fhir().delete(`/fhir/Observation?subject=Patient/${p.body.id}`).set('Authorization', auth).set('X-Request-Id', rid);
    expect(del.status).toBe(412);
    expect(del.body.resourceType).toBe('OperationOutcome');
    const [ev] = await eventsOf(rid);
    expect(ev.action).toBe('D');
    expect(ev.outcome).not.toBe('0');
    expect(objectRefs(ev)).toEqual([]);
    expect(ev.entity?.some((e) => e.query)).toBe(true);
  });
});
