// Binary over HTTP: an archived CDA read as XML or as the Binary resource with the consent of the DocumentReference naming it, audited, on every backend.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AuditEvent, Binary, Bundle, DocumentReference, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { doc, encounter, informing, prohibition } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { type Caller, clientFor, healthMarks as H, Org, organizations, patientOf, professional, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const Cda = '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Käyntikertomus</title></ClinicalDocument>\n';
const json = 'application/fhir+json';

describe.each(backends())('Binary (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  let operator: string;
  const client = () => clientFor(gw, () => w);
  /** Binary ids are chosen here (the operator keeps client ids): the DocumentReferences name them by url. */
  const bin = { visible: `b-${randomUUID()}`, prohibited: `b-${randomUUID()}`, orphan: `b-${randomUUID()}` };

  const own: Caller = professional(Org.HUS, 'health');
  /** D7: Uusimaa public health care, the patient informed; a prohibition still wins. */
  const neighbour: Caller = professional(Org.VANTAA, 'health');
  /** No basis at all for HUS's records (another region, no permission). */
  const stranger: Caller = professional(Org.TAYS, 'health');

  const binaryOf = (id: string, documentRef?: string): Binary => ({
    resourceType: 'Binary',
    id,
    contentType: 'application/xml',
    ...(documentRef ? { securityContext: { reference: documentRef } } : {}),
    data: Buffer.from(Cda, 'utf8').toString('base64'),
  });
  const withContent = (r: Resource, binaryId: string): Resource => ({
    ...r,
    content: [{ attachment: { contentType: 'application/xml', url: `Binary/${binaryId}`, size: Buffer.byteLength(Cda) } }],
  }) as Resource;

  async function eventsOf(rid: string): Promise<AuditEvent[]> {
    const res = await request(gw.app).get(`/fhir/AuditEvent?entity:identifier=${rid}&_count=100`).set('Authorization', operator);
    expect(res.status).toBe(200);
    return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
  }
  const refs = (ev: AuditEvent): string[] => (ev.entity ?? []).map((e) => e.what?.reference).filter((r): r is string => !!r);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    operator = `Bearer ${await gw.token(SystemClaims)}`;
    const orgs = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        informing('p1', 'inf-p1'),
        encounter('e1', 'p1', H(Org.HUS), '2024-02-01'),
        withContent(doc('d1', 'p1', H(Org.HUS), '2024-02-01', { encounter: 'Encounter/e1' }), bin.visible),
        withContent(doc('d2', 'p1', H(Org.HUS), '2024-02-02'), bin.prohibited),
      ],
      orgs,
    );
    w = await seedWorld(gw, [prohibition('p1', [{ document: w.id('DocumentReference/d2') }], 'pro-d2')], w);
    for (const [id, docRef] of [[bin.visible, w.ref('DocumentReference/d1')], [bin.prohibited, w.ref('DocumentReference/d2')], [bin.orphan, undefined]] as const) {
      const res = await request(gw.app).put(`/fhir/Binary/${id}`).set('Authorization', operator).set('Content-Type', json).send(binaryOf(id, docRef));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });
  afterAll(async () => gw?.close());

  test('a caller who sees the DocumentReference reads its Binary as the CDA itself (Accept: application/xml)', async () => {
    const res = await client().get(`/fhir/Binary/${bin.visible}`, own, { Accept: 'application/xml' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(res.text).toBe(Cda);
    expect(res.headers.etag).toBe('W/"1"');
  });

  test('without an explicit FHIR format (no Accept, or */*) the read answers the content too, as R4 says', async () => {
    for (const headers of [{}, { Accept: '*/*' }] as Array<Record<string, string>>) {
      const res = await client().get(`/fhir/Binary/${bin.visible}`, own, headers);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/xml/);
      expect(res.text).toBe(Cda);
    }
  });

  test('Accept: application/fhir+json (or _format=json) returns the Binary resource with its securityContext', async () => {
    for (const [path, headers] of [[`/fhir/Binary/${bin.visible}`, { Accept: json }], [`/fhir/Binary/${bin.visible}?_format=json`, {}]] as Array<[string, Record<string, string>]>) {
      const res = await client().get(path, own, headers);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
      expect(res.body).toMatchObject({ resourceType: 'Binary', id: bin.visible, contentType: 'application/xml', securityContext: { reference: w.ref('DocumentReference/d1') } });
      expect(Buffer.from(res.body.data, 'base64').toString('utf8')).toBe(Cda);
    }
  });

  test('an Accept the Binary cannot be served as is 406 with an OperationOutcome', async () => {
    const res = await client().get(`/fhir/Binary/${bin.visible}`, own, { Accept: 'application/pdf' });
    expect(res.status).toBe(406);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].details.text).toMatch(/application\/xml/);
  });

  test('another register reads it on the same basis as the DocumentReference (D7)', async () => {
    expect((await client().get(`/fhir/DocumentReference/${w.id('DocumentReference/d1')}`, neighbour)).status).toBe(200);
    const res = await client().get(`/fhir/Binary/${bin.visible}`, neighbour, { Accept: 'application/xml' });
    expect(res.status).toBe(200);
    expect(res.text).toBe(Cda);
  });

  test('a caller who cannot see the DocumentReference gets exactly the answer for a missing Binary, and the refusal is audited', async () => {
    const missing = await client().get(`/fhir/Binary/b-${randomUUID()}`, stranger, { Accept: 'application/xml' });
    expect(missing.status).toBe(404);
    expect((await client().get(`/fhir/DocumentReference/${w.id('DocumentReference/d1')}`, stranger)).status).toBe(404);
    const rid = `bin-${randomUUID()}`;
    const hidden = await client().get(`/fhir/Binary/${bin.visible}`, stranger, { Accept: 'application/xml', 'X-Request-Id': rid });
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual(missing.body);
    const [ev] = await eventsOf(rid);
    expect(ev.action).toBe('R');
    expect(ev.outcome).not.toBe('0');
    expect(refs(ev)).toContain(`Binary/${bin.visible}`);
    expect(refs(ev)).toContain(w.ref('Patient/p1'));
  });

  test('a prohibition on the document hides its Binary too, even from a caller who reads the other documents', async () => {
    expect((await client().get(`/fhir/DocumentReference/${w.id('DocumentReference/d2')}`, neighbour)).status).toBe(404);
    const res = await client().get(`/fhir/Binary/${bin.prohibited}`, neighbour, { Accept: 'application/xml' });
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    // The register's own professional is not bound by the prohibition (D1), and neither is its Binary.
    expect((await client().get(`/fhir/Binary/${bin.prohibited}`, own)).status).toBe(200);
  });

  test('the citizen reads the CDA of her own document; her token must let both the Binary and the DocumentReference leave (S1)', async () => {
    const citizen: Caller = { kind: 'citizen', patient: 'p1' };
    expect((await client().get(`/fhir/Binary/${bin.visible}`, citizen, { Accept: 'application/xml' })).text).toBe(Cda);
    const both = await client().get(`/fhir/Binary/${bin.visible}`, { ...citizen, scopes: ['patient/Binary.read', 'patient/DocumentReference.read'] }, { Accept: 'application/xml' });
    expect(both.status).toBe(200);
    // Without the DocumentReference scope no visible DocumentReference names it: the same 404 as a missing Binary.
    const binaryOnly = await client().get(`/fhir/Binary/${bin.visible}`, { ...citizen, scopes: ['patient/Binary.read'] }, { Accept: 'application/xml' });
    expect(binaryOnly.status).toBe(404);
    expect(binaryOnly.body.resourceType).toBe('OperationOutcome');
    const documentOnly = await client().get(`/fhir/Binary/${bin.visible}`, { ...citizen, scopes: ['patient/DocumentReference.read'] }, { Accept: 'application/xml' });
    expect(documentOnly.status).toBe(403);
    expect(documentOnly.body.resourceType).toBe('OperationOutcome');
  });

  test('a Binary no DocumentReference names is visible to the archive operator only', async () => {
    expect((await client().get(`/fhir/Binary/${bin.orphan}`, own)).status).toBe(404);
    const res = await request(gw.app).get(`/fhir/Binary/${bin.orphan}`).set('Authorization', operator);
    expect(res.status).toBe(200);
  });

  test('a successful read is audited naming the Binary and the patient', async () => {
    const rid = `bin-${randomUUID()}`;
    const res = await client().get(`/fhir/Binary/${bin.visible}`, own, { Accept: 'application/xml', 'X-Request-Id': rid });
    expect(res.status).toBe(200);
    const [ev] = await eventsOf(rid);
    expect(ev.action).toBe('R');
    expect(ev.outcome).toBe('0');
    expect(refs(ev)).toEqual(expect.arrayContaining([`Binary/${bin.visible}`, w.ref('Patient/p1')]));
  });

  test('only the archive operator creates a Binary: a professional is refused with 403 naming the rule', async () => {
    const res = await client().post('/fhir/Binary', own, { resourceType: 'Binary', contentType: 'application/xml', data: Buffer.from(Cda).toString('base64') });
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].details.text).toMatch(/^D1:/);
  });

  test('$everything includes the Binary of each visible DocumentReference and nothing of a prohibited one', async () => {
    const ids = async (c: Caller): Promise<string[]> => {
      const res = await client().get(`/fhir/Patient/${w.id('Patient/p1')}/$everything?_count=1000`, c);
      expect(res.status).toBe(200);
      return ((res.body as Bundle).entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
    };
    const mine = await ids(own);
    expect(mine).toEqual(expect.arrayContaining([`Binary/${bin.visible}`, `Binary/${bin.prohibited}`]));
    expect(mine).not.toContain(`Binary/${bin.orphan}`);
    const theirs = await ids(neighbour);
    expect(theirs).toContain(`Binary/${bin.visible}`);
    expect(theirs).not.toContain(`Binary/${bin.prohibited}`);
  });

  test('DocumentReference?binary=Binary/[id] finds the document naming it; system history shows the Binary only to who may see it', async () => {
    const found = await client().get(`/fhir/DocumentReference?binary=Binary/${bin.visible}`, own);
    expect(found.status).toBe(200);
    expect((found.body as Bundle).entry?.map((e) => e.resource?.id)).toEqual([w.id('DocumentReference/d1')]);
    const history = async (c: Caller): Promise<string[]> => {
      const res = await client().get('/fhir/_history?_count=1000', c);
      expect(res.status).toBe(200);
      return ((res.body as Bundle).entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
    };
    expect(await history(own)).toContain(`Binary/${bin.visible}`);
    expect(await history(stranger)).not.toContain(`Binary/${bin.visible}`);
    expect(await history(neighbour)).not.toContain(`Binary/${bin.prohibited}`);
  });

  test('Bulk Data export (system only) includes the Binaries: Patient-level _type=Binary exports them as NDJSON', async () => {
    const start = await request(gw.app).get('/fhir/Patient/$export?_type=Binary').set('Authorization', operator).set('Prefer', 'respond-async').set('Accept', json);
    expect(start.status, JSON.stringify(start.body)).toBe(202);
    const status = new URL(start.get('Content-Location') as string).pathname;
    let manifest: { output: Array<{ type: string; url: string }> };
    for (;;) {
      const res = await request(gw.app).get(status).set('Authorization', operator);
      if (res.status === 202) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      expect(res.status).toBe(200);
      manifest = JSON.parse(res.text);
      break;
    }
    expect(manifest.output.map((o) => o.type)).toEqual(['Binary']);
    const file = await request(gw.app).get(new URL(manifest.output[0].url).pathname).set('Authorization', operator).buffer(true).parse((r, cb) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => cb(null, text));
    });
    const ids = (file.body as string).trimEnd().split('\n').map((l) => (JSON.parse(l) as Binary).id);
    expect(ids).toEqual(expect.arrayContaining([bin.visible, bin.prohibited]));
  });

  test("$kanta-import of a CDA stores the DocumentReference + Binary pair: the register holder's professional reads the exact file as XML", async () => {
    const file = readFileSync(new URL('../fixtures/kanta/document-v1.xml', import.meta.url));
    const records = readFileSync(new URL('../fixtures/kanta/records-base.json', import.meta.url));
    const source = (title: string, contentType: string, bytes: Buffer) => ({ name: 'source', valueAttachment: { title, contentType, data: bytes.toString('base64') } });
    const imported = await request(gw.app)
      .post('/fhir/$kanta-import')
      .set('Authorization', operator)
      .set('Content-Type', json)
      .send({ resourceType: 'Parameters', parameter: [source('records-base.json', 'application/json', records), source('document-v1.xml', 'application/xml', file)] });
    expect(imported.status, JSON.stringify(imported.body).slice(0, 1000)).toBe(200);
    const found = await request(gw.app).get(`/fhir/DocumentReference?identifier=${encodeURIComponent('urn:ietf:rfc:3986|urn:oid:1.2.246.10.99900001.10.2024.1')}`).set('Authorization', operator);
    const docRef = (found.body as Bundle).entry?.[0]?.resource as DocumentReference;
    const attachment = docRef.content[0].attachment;
    expect(attachment).toMatchObject({ contentType: 'application/xml', size: file.length, url: expect.stringMatching(/^Binary\//) });
    expect(attachment.data).toBeUndefined();
    const patientId = (docRef.subject?.reference as string).split('/')[1];
    const register = `Bearer ${await gw.token({ sub: '010180-901T', kanta_role: 'professional', organization: '1.2.246.10.99900001.10.0', sector: 'health', patient: patientId, care_relationship: 'hoitosuhde', purpose_of_use: 'TREAT', scope: 'user/*.cruds' })}`;
    const res = await request(gw.app).get(`/fhir/${attachment.url}`).set('Authorization', register).set('Accept', 'application/xml');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(Buffer.from(res.text, 'utf8').equals(file)).toBe(true);
    const asResource = await request(gw.app).get(`/fhir/${attachment.url}`).set('Authorization', register).set('Accept', json);
    expect(asResource.body.securityContext).toEqual({ reference: `DocumentReference/${docRef.id}` });
  });

  test('the CapabilityStatement declares Binary read, vread and create', async () => {
    const cs = (await request(gw.app).get('/fhir/metadata')).body;
    const binary = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Binary');
    expect(binary.interaction.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'create']));
    expect(binary.interaction.map((i: { code: string }) => i.code)).not.toContain('search-type');
  });
});
