// Several gateway processes on one PostgreSQL keep versioning correct under concurrent updates (issue 2).
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postgresUrlOrSkip } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const pgUrl = postgresUrlOrSkip('several gateways on one PostgreSQL');

describe.skipIf(!pgUrl)(`two gateways on one PostgreSQL${pgUrl ? '' : ' (skipped: DATABASE_URL is not set)'}`, () => {
  let a: TestGateway;
  let b: TestGateway;
  let authA: string;
  let authB: string;

  beforeAll(async () => {
    a = await startTestGateway('postgres');
    b = await a.startPeer();
    authA = `Bearer ${await a.token(SystemClaims)}`;
    authB = `Bearer ${await b.token(SystemClaims)}`;
  });
  afterAll(async () => a?.close());

  const org = (name: string) => ({ resourceType: 'Organization', name });

  test('concurrent updates through both gateways produce consecutive versions with none lost', async () => {
    const created = await request(a.app).post('/fhir/Organization').set('Authorization', authA).send(org('v0'));
    const id = created.body.id;
    const writes = Array.from({ length: 16 }, (_, i) =>
      request(i % 2 ? a.app : b.app)
        .put(`/fhir/Organization/${id}`)
        .set('Authorization', i % 2 ? authA : authB)
        .send({ ...org(`v${i + 1}`), id }),
    );
    const results = await Promise.all(writes);
    expect(results.map((r) => r.status)).toEqual(Array(16).fill(200));
    const versions = results.map((r) => Number(r.body.meta.versionId)).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 16 }, (_, i) => i + 2));
    const history = await request(b.app).get(`/fhir/Organization/${id}/_history?_count=100`).set('Authorization', authB);
    expect(history.body.total).toBe(17);
  });

  test('two updates with the same If-Match: exactly one wins, the other gets 412', async () => {
    const created = await request(a.app).post('/fhir/Organization').set('Authorization', authA).send(org('race'));
    const id = created.body.id;
    const [x, y] = await Promise.all([
      request(a.app).put(`/fhir/Organization/${id}`).set('Authorization', authA).set('If-Match', 'W/"1"').send({ ...org('from-a'), id }),
      request(b.app).put(`/fhir/Organization/${id}`).set('Authorization', authB).set('If-Match', 'W/"1"').send({ ...org('from-b'), id }),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 412]);
    const loser = x.status === 412 ? x : y;
    expect(loser.body.resourceType).toBe('OperationOutcome');
    const current = await request(a.app).get(`/fhir/Organization/${id}`).set('Authorization', authA);
    expect(current.body.meta.versionId).toBe('2');
  });
});

describe.skipIf(!pgUrl)(`gateways starting together on one PostgreSQL${pgUrl ? '' : ' (skipped: DATABASE_URL is not set)'}`, () => {
  test('two more gateways starting at the same moment both come up and keep one copy of each profile', async () => {
    const a = await startTestGateway('postgres');
    try {
      const [b, c] = await Promise.all([a.startPeer(), a.startPeer()]);
      const auth = `Bearer ${await b.token(SystemClaims)}`;
      const res = await request(c.app).get('/fhir/StructureDefinition?url=https://kanta-gateway.example.org/fhir/StructureDefinition/kanta-patient').set('Authorization', `Bearer ${await c.token(SystemClaims)}`);
      expect(res.body.total).toBe(1);
      expect((await request(b.app).get('/fhir/metadata').set('Authorization', auth)).status).toBe(200);
    } finally {
      await a.close();
    }
  });
});
