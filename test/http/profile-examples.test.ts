// F2: every profile's valid examples pass $validate and its invalid ones are refused by $validate and on write, through the server.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const dir = join(import.meta.dirname, '../../profiles/examples');
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, valid: /\.valid\.json$/.test(f), resource: JSON.parse(readFileSync(join(dir, f), 'utf8')) }));

describe('profile examples through the server (F2)', () => {
  let gw: TestGateway;
  let auth: string;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  test('F2: every StructureDefinition in profiles/ is served and listed in the CapabilityStatement', async () => {
    const cs = (await request(gw.app).get('/fhir/metadata')).body;
    const supported = cs.rest[0].resource.flatMap((r: { supportedProfile?: string[] }) => r.supportedProfile ?? []);
    for (const { resource } of examples) {
      for (const url of resource.meta?.profile ?? []) {
        expect(supported, url).toContain(url);
        const sd = await request(gw.app).get(`/fhir/StructureDefinition?url=${encodeURIComponent(url)}`).set('Authorization', auth);
        expect(sd.body.total, url).toBe(1);
      }
    }
  });

  // The examples stand alone (their references name no stored record), so they are judged against their profile only.
  test.each(examples.filter((e) => e.valid))('F2: $validate (mode=profile) accepts the valid example $file', async ({ resource }) => {
    const res = await request(gw.app).post(`/fhir/${resource.resourceType}/$validate?mode=profile`).set('Authorization', auth).send(resource);
    expect(res.status).toBe(200);
    expect(res.body.issue.filter((i: { severity: string }) => i.severity === 'error')).toEqual([]);
  });

  test.each(examples.filter((e) => !e.valid))('F2: $validate and create refuse the invalid example $file', async ({ resource }) => {
    const validate = await request(gw.app).post(`/fhir/${resource.resourceType}/$validate`).set('Authorization', auth).send(resource);
    expect(validate.body.issue.some((i: { severity: string }) => i.severity === 'error')).toBe(true);
    const before = (await request(gw.app).get(`/fhir/${resource.resourceType}?_summary=count`).set('Authorization', auth)).body.total;
    const { id: _id, ...body } = resource;
    const created = await request(gw.app).post(`/fhir/${resource.resourceType}`).set('Authorization', auth).send(body);
    expect(created.status).toBe(400);
    expect(created.body.resourceType).toBe('OperationOutcome');
    const after = (await request(gw.app).get(`/fhir/${resource.resourceType}?_summary=count`).set('Authorization', auth)).body.total;
    expect(after).toBe(before);
  });
});
