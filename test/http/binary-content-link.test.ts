// Only the archive operator links a record to archived content: a Binary is disclosed with the DocumentReference naming it, so a link written by anyone else would disclose another record's content (D11). https://hl7.org/fhir/R4/binary.html
import { randomUUID } from 'node:crypto';
import type { Binary, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { doc } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { clientFor, healthMarks as H, Org, organizations, patientOf, professional, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const Cda = '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Toisen potilaan psykiatrinen teksti</title></ClinicalDocument>';

/**
 * Seed 000: prohibited data "näkyvät vain sille palvelunantajalle, jonka rekisteriin tiedot on tallennettu"; SPEC D11: a
 * withheld record never shows on any route. TAYS has no basis for HUS's document of p2, so its archived content must stay
 * out of reach whatever TAYS writes into its own register.
 */
describe.each(backends())('content links (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  const client = () => clientFor(gw, () => w);
  const secretBin = `b-${randomUUID()}`;
  const otherBin = `b-${randomUUID()}`;
  const stranger = professional(Org.TAYS, 'health');
  const holder = professional(Org.HUS, 'health', { patient: 'p2' });
  let operator: string;

  const pointer = (url: string) => ({ ...doc('x', w.id('Patient/p1'), H(Org.TAYS), '2024-03-01'), id: undefined, content: [{ attachment: { contentType: 'application/xml', url } }] });
  const binaryAs = (id: string) => client().get(`/fhir/Binary/${id}`, stranger, { Accept: 'application/xml' });

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    operator = `Bearer ${await gw.token(SystemClaims)}`;
    const orgs = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        patientOf('p2', '1970-05-05'),
        { ...doc('dsecret', 'p2', H(Org.HUS), '2024-02-01'), content: [{ attachment: { contentType: 'application/xml', url: `Binary/${secretBin}` } }] } as Resource,
      ],
      orgs,
    );
    for (const id of [secretBin, otherBin]) {
      const bin: Binary = { resourceType: 'Binary', id, contentType: 'application/xml', securityContext: { reference: w.ref('DocumentReference/dsecret') }, data: Buffer.from(Cda).toString('base64') };
      const put = await request(gw.app).put(`/fhir/Binary/${id}`).set('Authorization', operator).set('Content-Type', 'application/fhir+json').send(bin);
      expect(put.status, JSON.stringify(put.body)).toBe(201);
    }
  });
  afterAll(async () => gw?.close());

  test('a professional cannot link an own-register document to another record\'s Binary, in any spelling of the url', async () => {
    expect((await binaryAs(secretBin)).status).toBe(404);
    const before = await client().seen(stranger, 'DocumentReference');
    for (const url of [`Binary/${secretBin}`, `https://example.org/fhir/Binary/${secretBin}`, `Binary/${secretBin}/_history/1`, `binary/${secretBin}`]) {
      const res = await client().post('/fhir/DocumentReference', stranger, pointer(url));
      expect(res.status, url).toBe(403);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].code).toBe('forbidden');
      expect(JSON.stringify(res.body.issue[0]), url).toMatch(/archive operator/);
    }
    // Nothing was written, and the content is still withheld.
    expect(await client().seen(stranger, 'DocumentReference')).toEqual(before);
    expect((await binaryAs(secretBin)).status).toBe(404);
  });

  test('the same refusal inside a transaction Bundle, which then writes nothing', async () => {
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: pointer(`Binary/${secretBin}`), request: { method: 'POST', url: 'DocumentReference' } }] };
    const res = await client().post('/fhir', stranger, bundle);
    expect(res.status).toBe(403);
    expect(res.body.issue[0].code).toBe('forbidden');
    expect((await binaryAs(secretBin)).status).toBe(404);
  });

  test('the holder may keep the link its document was archived with, but not move it to other content', async () => {
    const stored = (await client().get(`/fhir/DocumentReference/${w.id('DocumentReference/dsecret')}`, holder)).body;
    expect(stored.resourceType).toBe('DocumentReference');
    const kept = await client().put(`/fhir/DocumentReference/${stored.id}`, holder, { ...stored, description: 'korjattu kuvaus' });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    const moved = await client().put(`/fhir/DocumentReference/${stored.id}`, holder, { ...kept.body, content: [{ attachment: { contentType: 'application/xml', url: `Binary/${otherBin}` } }] });
    expect(moved.status).toBe(403);
    expect(moved.body.issue[0].code).toBe('forbidden');
  });

  test('the archive operator still links documents to their content', async () => {
    const linked = { ...pointer(`Binary/${otherBin}`), id: `d-${randomUUID()}` };
    const res = await request(gw.app).put(`/fhir/DocumentReference/${linked.id}`).set('Authorization', operator).set('Content-Type', 'application/fhir+json').send(linked);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });
});
