// PATCH entries in transaction and batch Bundles (JSON Patch in a Binary, FHIRPath Patch Parameters): validated, consent-checked, If-Match honoured, on every backend.
import type { Bundle, BundleEntry, Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { hetu } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const json = 'application/fhir+json';
let seq = 500;
const patient = (family: string): Patient => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu('1966-02-02', seq++) }],
  name: [{ family, given: ['Testi'] }],
  gender: 'female',
  birthDate: '1966-02-02',
});
/** JSON Patch as a Bundle entry carries it: a Binary, base64. */
const jsonPatchBinary = (ops: unknown, contentType = 'application/json-patch+json') => ({
  resourceType: 'Binary',
  contentType,
  data: Buffer.from(JSON.stringify(ops)).toString('base64'),
});
const fhirPathPatch = (path: string, value: Record<string, unknown>) => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: path }, { name: 'value', ...value }] }],
});
const patchEntry = (url: string, resource: unknown, ifMatch?: string): BundleEntry => ({ resource: resource as BundleEntry['resource'], request: { method: 'PATCH', url, ...(ifMatch ? { ifMatch } : {}) } });
const bundleOf = (type: 'transaction' | 'batch', entry: BundleEntry[]): Bundle => ({ resourceType: 'Bundle', type, entry });

describe.each(backends())('PATCH in Bundles (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  let org: string;
  const fhir = () => request(gw.app);
  const create = async (family: string): Promise<Patient> => {
    const res = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', json).send(patient(family));
    expect(res.status).toBe(201);
    return res.body;
  };
  const read = async (id: string): Promise<Patient> => (await fhir().get(`/fhir/Patient/${id}`).set('Authorization', auth)).body;
  const post = (bundle: Bundle, as = auth) => fhir().post('/fhir').set('Authorization', as).set('Content-Type', json).send(bundle);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
    // A system of an organisation sees directory data only: its policy withholds Patients.
    org = `Bearer ${await gw.token({ sub: 'org-system', kanta_role: 'system', organization: '1.2.246.10.1234567', scope: 'system/*.cruds', client_id: 'org-system' })}`;
  });
  afterAll(async () => gw?.close());

  test('a transaction applies a JSON Patch Binary and a FHIRPath Patch like the PATCH interaction, honouring request.ifMatch', async () => {
    const a = await create('Eka');
    const b = await create('Toka');
    const res = await post(
      bundleOf('transaction', [
        patchEntry(`Patient/${a.id}`, jsonPatchBinary([{ op: 'replace', path: '/gender', value: 'male' }]), 'W/"1"'),
        patchEntry(`Patient/${b.id}`, fhirPathPatch('Patient.gender', { valueCode: 'other' })),
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry.map((e: BundleEntry) => e.response?.status)).toEqual(['200', '200']);
    expect(res.body.entry[0].response.etag).toBe('W/"2"');
    expect(res.body.entry[0].resource.gender).toBe('male');
    expect((await read(a.id!)).gender).toBe('male');
    expect((await read(b.id!)).gender).toBe('other');
  });

  test('a stale request.ifMatch fails the transaction with 412 and changes nothing', async () => {
    const a = await create('Vanha');
    const b = await create('Muu');
    const res = await post(
      bundleOf('transaction', [
        patchEntry(`Patient/${b.id}`, fhirPathPatch('Patient.gender', { valueCode: 'other' })),
        patchEntry(`Patient/${a.id}`, jsonPatchBinary([{ op: 'replace', path: '/gender', value: 'male' }]), 'W/"7"'),
      ]),
    );
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].expression).toContain('Bundle.entry[1]');
    expect((await read(a.id!)).meta?.versionId).toBe('1');
    expect((await read(b.id!)).gender).toBe('female');
  });

  test.each([
    ['a Binary of another content type', jsonPatchBinary([{ op: 'replace', path: '/gender', value: 'male' }], 'application/json'), 400, /contentType application\/json-patch\+json/],
    ['data that is not JSON', { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from('not json').toString('base64') }, 400, /not JSON/],
    ['a JSON Patch that is not an array', jsonPatchBinary({ op: 'replace' }), 400, /array of operations/],
    ['an entry resource that is no patch', patient('Ei'), 400, /JSON Patch|FHIRPath Patch/],
    ['a failing test operation', jsonPatchBinary([{ op: 'test', path: '/gender', value: 'male' }]), 422, /test failed/],
    ['a result the profile refuses', jsonPatchBinary([{ op: 'replace', path: '/gender', value: 'not-a-gender' }]), 400, /gender/],
  ])('a transaction with %s fails naming the entry and changes nothing', async (_what, resource, status, text) => {
    const a = await create('Ehjä');
    const b = await create('Koskematon');
    const res = await post(
      bundleOf('transaction', [
        patchEntry(`Patient/${b.id}`, fhirPathPatch('Patient.gender', { valueCode: 'other' })),
        patchEntry(`Patient/${a.id}`, resource),
      ]),
    );
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].expression[0]).toBe('Bundle.entry[1]');
    expect(JSON.stringify(res.body.issue)).toMatch(text);
    expect((await read(a.id!)).meta?.versionId).toBe('1');
    expect((await read(b.id!)).meta?.versionId).toBe('1');
  });

  test('in a batch each PATCH entry stands alone: a good one applies, a bad one answers its own OperationOutcome', async () => {
    const a = await create('Erä');
    const b = await create('Erä');
    const res = await post(
      bundleOf('batch', [
        patchEntry(`Patient/${a.id}`, jsonPatchBinary([{ op: 'replace', path: '/gender', value: 'male' }])),
        patchEntry(`Patient/${b.id}`, jsonPatchBinary([{ op: 'replace', path: '/gender', value: 'male' }]), 'W/"9"'),
        patchEntry(`Patient/${b.id}`, { resourceType: 'Binary', contentType: 'text/plain', data: 'aGVp' }),
      ]),
    );
    expect(res.status).toBe(200);
    const [ok, stale, bad] = res.body.entry as BundleEntry[];
    expect(ok.response?.status).toBe('200');
    expect(stale.response?.status).toBe('412');
    expect(stale.response?.outcome?.resourceType).toBe('OperationOutcome');
    expect(bad.response?.status).toBe('400');
    expect(JSON.stringify(bad.response?.outcome)).toMatch(/contentType application\/json-patch\+json/);
    expect((await read(a.id!)).gender).toBe('male');
    expect((await read(b.id!)).meta?.versionId).toBe('1');
  });

  test('a PATCH entry is consent-checked like an update: a record the caller cannot see answers 404 and stays unchanged', async () => {
    const a = await create('Piilossa');
    const res = await post(bundleOf('batch', [patchEntry(`Patient/${a.id}`, jsonPatchBinary([{ op: 'replace', path: '/gender', value: 'male' }]))]), org);
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('404');
    expect(res.body.entry[0].response.outcome.resourceType).toBe('OperationOutcome');
    expect((await read(a.id!)).meta?.versionId).toBe('1');
    const tx = await post(bundleOf('transaction', [patchEntry(`Patient/${a.id}`, fhirPathPatch('Patient.gender', { valueCode: 'other' }))]), org);
    expect(tx.status).toBe(404);
    expect(tx.body.issue[0].expression).toContain('Bundle.entry[0]');
    expect((await read(a.id!)).meta?.versionId).toBe('1');
  });

  test('the CapabilityStatement says batch and transaction entries may PATCH, and how', async () => {
    const cs = (await fhir().get('/fhir/metadata')).body;
    for (const code of ['transaction', 'batch']) {
      const declared = cs.rest[0].interaction.find((i: { code: string }) => i.code === code);
      expect(declared.documentation).toMatch(/PATCH/);
      expect(declared.documentation).toMatch(/application\/json-patch\+json/);
    }
  });
});
