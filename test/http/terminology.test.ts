// Terminology operations over HTTP: $expand, $lookup and $validate-code on the project's and the R4 core code systems and value sets.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const ConsentKindVs = 'https://kanta-gateway.example.org/fhir/ValueSet/consent-kind';
const ConsentKindCs = 'https://kanta-gateway.example.org/fhir/CodeSystem/consent-kind';
type Param = { name: string; valueBoolean?: boolean; valueString?: string };
const out = (body: { parameter: Param[] }, name: string) => body.parameter.find((p) => p.name === name);

// Terminology is in memory and the same on both stores, so one backend is enough.
describe('terminology operations (sqlite)', () => {
  let gw: TestGateway;
  let auth: string;
  const get = (url: string) => request(gw.app).get(url).set('Authorization', auth);

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  test('ValueSet/$expand of a project value set lists its codes with displays; filter and count page it', async () => {
    const res = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(ConsentKindVs)}`);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('ValueSet');
    const codes = res.body.expansion.contains.map((c: { code: string }) => c.code);
    expect(codes).toContain('informing');
    expect(res.body.expansion.contains.find((c: { code: string }) => c.code === 'informing').display).toMatch(/informointi/);
    expect(res.body.expansion.total).toBe(codes.length);
    const paged = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(ConsentKindVs)}&count=1&offset=1`);
    expect(paged.body.expansion.contains).toHaveLength(1);
    expect(paged.body.expansion.contains[0].code).toBe(codes[1]);
    const filtered = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(ConsentKindVs)}&filter=permission`);
    expect(filtered.body.expansion.contains.every((c: { code: string }) => c.code.includes('permission'))).toBe(true);
  });

  test('$expand of an R4 core value set bound by the gateway (administrative-gender), and of one over an external code system (422)', async () => {
    const gender = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent('http://hl7.org/fhir/ValueSet/administrative-gender')}`);
    expect(gender.status).toBe(200);
    expect(gender.body.expansion.contains.map((c: { code: string }) => c.code).sort()).toEqual(['female', 'male', 'other', 'unknown']);
    const loinc = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent('http://hl7.org/fhir/ValueSet/observation-codes')}`);
    expect(loinc.status).toBe(422);
    expect(loinc.body.issue[0].details.text).toMatch(/not available on this server/);
    const unknown = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent('http://example.org/nothing')}`);
    expect(unknown.status).toBe(404);
    const bad = await get(`/fhir/ValueSet/$expand?nonsense=1`);
    expect(bad.status).toBe(400);
  });

  test('CodeSystem/$lookup returns name and display; an unknown code is 404', async () => {
    const res = await get(`/fhir/CodeSystem/$lookup?system=${encodeURIComponent(ConsentKindCs)}&code=informing`);
    expect(res.status).toBe(200);
    expect(out(res.body, 'display')?.valueString).toMatch(/informointi/);
    expect(out(res.body, 'name')?.valueString).toBeTruthy();
    const core = await get(`/fhir/CodeSystem/$lookup?system=${encodeURIComponent('http://hl7.org/fhir/administrative-gender')}&code=female`);
    expect(out(core.body, 'display')?.valueString).toBe('Female');
    const missing = await get(`/fhir/CodeSystem/$lookup?system=${encodeURIComponent(ConsentKindCs)}&code=nope`);
    expect(missing.status).toBe(404);
  });

  test('ValueSet/$validate-code and CodeSystem/$validate-code answer result true/false with a message (GET and POST Parameters)', async () => {
    const yes = await get(`/fhir/ValueSet/$validate-code?url=${encodeURIComponent(ConsentKindVs)}&system=${encodeURIComponent(ConsentKindCs)}&code=informing`);
    expect(out(yes.body, 'result')?.valueBoolean).toBe(true);
    const no = await get(`/fhir/ValueSet/$validate-code?url=${encodeURIComponent(ConsentKindVs)}&system=${encodeURIComponent(ConsentKindCs)}&code=nope`);
    expect(out(no.body, 'result')?.valueBoolean).toBe(false);
    expect(out(no.body, 'message')?.valueString).toMatch(/not in value set/);
    const post = await request(gw.app)
      .post('/fhir/CodeSystem/$validate-code')
      .set('Authorization', auth)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: 'http://hl7.org/fhir/administrative-gender' }, { name: 'coding', valueCoding: { system: 'http://hl7.org/fhir/administrative-gender', code: 'male', display: 'Mies' } }] });
    expect(post.status).toBe(200);
    expect(out(post.body, 'result')?.valueBoolean).toBe(false);
    expect(out(post.body, 'message')?.valueString).toMatch(/Display 'Mies'/);
  });

  test('the CapabilityStatement lists the terminology operations on ValueSet and CodeSystem', async () => {
    const cs = (await request(gw.app).get('/fhir/metadata')).body;
    const ops = (t: string) => cs.rest[0].resource.find((r: { type: string }) => r.type === t).operation.map((o: { definition: string }) => o.definition);
    expect(ops('ValueSet')).toEqual(expect.arrayContaining(['http://hl7.org/fhir/OperationDefinition/ValueSet-expand', 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code']));
    expect(ops('CodeSystem')).toEqual(expect.arrayContaining(['http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup', 'http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code']));
  });
});
