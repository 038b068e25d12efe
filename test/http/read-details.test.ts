// Read details over HTTP: _summary/_elements on read, HEAD, _pretty, conditional read (304 with ETag), CORS declaration and preflights.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { hetu } from '../support/consent-fixtures.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const json = 'application/fhir+json';

describe.each(backends())('read details (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  let p: { id: string; meta: { versionId: string; lastUpdated: string } };
  const fhir = () => request(gw.app);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
    p = (
      await fhir()
        .post('/fhir/Patient')
        .set('Authorization', auth)
        .set('Content-Type', json)
        .send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu('1975-03-03', 940) }], name: [{ family: 'Luku' }], gender: 'female', birthDate: '1975-03-03', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Luku</div>' } })
    ).body;
  });
  afterAll(async () => gw?.close());

  test('_elements and _summary shape a read and mark it SUBSETTED; bad values are 400', async () => {
    const el = await fhir().get(`/fhir/Patient/${p.id}?_elements=gender`).set('Authorization', auth);
    expect(el.status).toBe(200);
    expect(el.body.gender).toBe('female');
    expect(el.body.name).toBeUndefined();
    expect(el.body.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
    const text = await fhir().get(`/fhir/Patient/${p.id}?_summary=text`).set('Authorization', auth);
    expect(Object.keys(text.body).sort()).toEqual(['id', 'meta', 'resourceType', 'text']);
    const summary = await fhir().get(`/fhir/Patient/${p.id}?_summary=true`).set('Authorization', auth);
    expect(summary.body.name).toBeDefined();
    expect(summary.body.text).toBeUndefined();
    const v1 = await fhir().get(`/fhir/Patient/${p.id}/_history/1?_elements=birthDate`).set('Authorization', auth);
    expect(v1.body.birthDate).toBe('1975-03-03');
    expect(v1.body.gender).toBeUndefined();
    const bad = await fhir().get(`/fhir/Patient/${p.id}?_summary=count`).set('Authorization', auth);
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression).toEqual(['_summary']);
    const unknown = await fhir().get(`/fhir/Patient/${p.id}?foo=1`).set('Authorization', auth);
    expect(unknown.status).toBe(400);
  });

  test('HEAD answers like GET with headers and no body', async () => {
    const res = await fhir().head(`/fhir/Patient/${p.id}`).set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.text ?? '').toBe('');
    const missing = await fhir().head('/fhir/Patient/nobody').set('Authorization', auth);
    expect(missing.status).toBe(404);
  });

  test('_pretty=true indents the JSON', async () => {
    const res = await fhir().get(`/fhir/Patient/${p.id}?_pretty=true`).set('Authorization', auth);
    expect(res.text).toMatch(/^\{\n {2}"resourceType"/);
    const plain = await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth);
    expect(plain.text).not.toMatch(/\n/);
  });

  test('If-None-Match and If-Modified-Since give 304 carrying the ETag; a changed resource gives 200', async () => {
    const inm = await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('If-None-Match', 'W/"1"');
    expect(inm.status).toBe(304);
    expect(inm.headers.etag).toBe('W/"1"');
    const later = new Date(Date.parse(p.meta.lastUpdated) + 2000).toUTCString();
    const ims = await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('If-Modified-Since', later);
    expect(ims.status).toBe(304);
    expect(ims.headers.etag).toBe('W/"1"');
    const earlier = new Date(Date.parse(p.meta.lastUpdated) - 60000).toUTCString();
    const changed = await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('If-Modified-Since', earlier);
    expect(changed.status).toBe(200);
    const other = await fhir().get(`/fhir/Patient/${p.id}`).set('Authorization', auth).set('If-None-Match', 'W/"7"');
    expect(other.status).toBe(200);
  });

  test('the CapabilityStatement declares conditionalRead full-support and no CORS when none is configured; a preflight is not 401', async () => {
    const cs = (await fhir().get('/fhir/metadata')).body;
    expect(cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient').conditionalRead).toBe('full-support');
    expect(cs.rest[0].security.cors).toBe(false);
    const pre = await fhir().options('/fhir/Patient').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'GET');
    expect(pre.status).not.toBe(401);
    expect(pre.status).toBe(204);
  });

  test('with CORS configured the CapabilityStatement declares it and a preflight is answered without a token', async () => {
    const cors = await startTestGateway(backend, { CORS_ORIGINS: 'https://app.example' });
    try {
      const cs = (await request(cors.app).get('/fhir/metadata')).body;
      expect(cs.rest[0].security.cors).toBe(true);
      const pre = await request(cors.app).options('/fhir/Patient').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'PATCH');
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-methods']).toMatch(/PATCH/);
    } finally {
      await cors.close();
    }
  });
});
