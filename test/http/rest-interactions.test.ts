// HTTP-level tests of the FHIR REST interactions through the real app, on every storage backend.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const patient = (hetu: string, family: string, birthDate: string) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu }],
  name: [{ family, given: ['Testi'] }],
  gender: 'female',
  birthDate,
});

describe.each(backends())('REST interactions (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  const fhir = () => request(gw.app);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  test('create answers 201 with Location, ETag, Last-Modified and server-assigned id and version', async () => {
    const res = await fhir().post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(patient('131052-308T', 'Virtanen', '1952-10-13'));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
    expect(res.body.id).toMatch(/^[A-Za-z0-9\-.]+$/);
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['last-modified']).toBe(new Date(res.body.meta.lastUpdated).toUTCString());
    expect(res.headers.location).toMatch(new RegExp(`/fhir/Patient/${res.body.id}/_history/1$`));
  });

  test('read returns the stored resource; a missing one answers 404 with an OperationOutcome', async () => {
    const created = await fhir().post('/fhir/Patient').set('Authorization', auth).send(patient('010190-999W', 'Korhonen', '1990-01-01'));
    const read = await fhir().get(`/fhir/Patient/${created.body.id}`).set('Authorization', auth);
    expect(read.status).toBe(200);
    expect(read.body.name[0].family).toBe('Korhonen');
    const missing = await fhir().get('/fhir/Patient/does-not-exist').set('Authorization', auth);
    expect(missing.status).toBe(404);
    expect(missing.body.resourceType).toBe('OperationOutcome');
    expect(missing.body.issue[0].code).toBe('not-found');
  });

  test('update with a stale If-Match answers 412 and stores nothing; a current one makes version 2', async () => {
    const created = await fhir().post('/fhir/Patient').set('Authorization', auth).send(patient('131052-308T', 'Nieminen', '1952-10-13'));
    const id = created.body.id;
    const stale = await fhir().put(`/fhir/Patient/${id}`).set('Authorization', auth).set('If-Match', 'W/"7"').send({ ...created.body, gender: 'male' });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await fhir().get(`/fhir/Patient/${id}`).set('Authorization', auth)).body.gender).toBe('female');
    const ok = await fhir().put(`/fhir/Patient/${id}`).set('Authorization', auth).set('If-Match', 'W/"1"').send({ ...created.body, gender: 'male' });
    expect(ok.status).toBe(200);
    expect(ok.body.meta.versionId).toBe('2');
    expect(ok.headers.etag).toBe('W/"2"');
    const v1 = await fhir().get(`/fhir/Patient/${id}/_history/1`).set('Authorization', auth);
    expect(v1.status).toBe(200);
    expect(v1.body.gender).toBe('female');
    const hist = await fhir().get(`/fhir/Patient/${id}/_history`).set('Authorization', auth);
    expect(hist.body.type).toBe('history');
    expect(hist.body.total).toBe(2);
    expect(hist.body.entry.map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId)).toEqual(['2', '1']);
  });

  test('update of an id that does not exist answers 404 (update-as-create is for the archive operator only, see conditional.test.ts)', async () => {
    const org = `Bearer ${await gw.token({ sub: 'org-system', kanta_role: 'system', organization: '1.2.246.10.1234567', scope: 'system/*.cruds', client_id: 'org-system' })}`;
    const res = await fhir().put('/fhir/Organization/nobody').set('Authorization', org).send({ resourceType: 'Organization', id: 'nobody', name: 'X' });
    expect(res.status).toBe(404);
    expect(res.body.issue[0].code).toBe('not-found');
  });

  test('update whose body id differs from the URL answers 400 naming the id', async () => {
    const created = await fhir().post('/fhir/Patient').set('Authorization', auth).send(patient('131052-308T', 'Id', '1952-10-13'));
    const res = await fhir().put(`/fhir/Patient/${created.body.id}`).set('Authorization', auth).send({ ...created.body, id: 'other' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details.text).toMatch(/does not match/);
  });

  test('search by string, token and date with prefixes finds the right patients', async () => {
    await fhir().post('/fhir/Patient').set('Authorization', auth).send(patient('150805A123C', 'Hakulainen', '2005-08-15'));
    const byName = await fhir().get('/fhir/Patient?name=hakul').set('Authorization', auth);
    expect(byName.body.resourceType).toBe('Bundle');
    expect(byName.body.type).toBe('searchset');
    expect(byName.body.entry.map((e: { resource: { name: { family: string }[] } }) => e.resource.name[0].family)).toEqual(['Hakulainen']);
    const byId = await fhir().get('/fhir/Patient?identifier=urn:oid:1.2.246.21|150805A123C').set('Authorization', auth);
    expect(byId.body.total).toBe(1);
    const byDate = await fhir().get('/fhir/Patient?birthdate=ge2005-01-01&name=hakulainen').set('Authorization', auth);
    expect(byDate.body.total).toBe(1);
    const none = await fhir().get('/fhir/Patient?birthdate=lt2005-01-01&name=hakulainen').set('Authorization', auth);
    expect(none.body.total).toBe(0);
  });

  test('POST _search takes form parameters like GET', async () => {
    const res = await fhir().post('/fhir/Patient/_search').set('Authorization', auth).type('form').send({ name: 'hakulainen' });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
  });

  test('_count pages with stable next links and _summary=count returns only the total', async () => {
    for (let i = 0; i < 5; i++) await fhir().post('/fhir/Patient').set('Authorization', auth).send(patient('131052-308T', `Sivu${i}`, '1952-10-13'));
    const first = await fhir().get('/fhir/Patient?name=sivu&_count=2&_sort=family').set('Authorization', auth);
    expect(first.body.total).toBe(5);
    expect(first.body.entry).toHaveLength(2);
    const seen: string[] = first.body.entry.map((e: { resource: { name: { family: string }[] } }) => e.resource.name[0].family);
    let next = first.body.link.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
    while (next) {
      const page = await fhir().get(new URL(next).pathname + new URL(next).search).set('Authorization', auth);
      seen.push(...page.body.entry.map((e: { resource: { name: { family: string }[] } }) => e.resource.name[0].family));
      next = page.body.link.find((l: { relation: string }) => l.relation === 'next')?.url;
    }
    expect(seen).toEqual(['Sivu0', 'Sivu1', 'Sivu2', 'Sivu3', 'Sivu4']);
    const count = await fhir().get('/fhir/Patient?name=sivu&_summary=count').set('Authorization', auth);
    expect(count.body.total).toBe(5);
    expect(count.body.entry ?? []).toHaveLength(0);
  });

  test('_elements returns only the asked elements and marks the resource SUBSETTED', async () => {
    const res = await fhir().get('/fhir/Patient?name=hakulainen&_elements=birthDate').set('Authorization', auth);
    const r = res.body.entry[0].resource;
    expect(r.birthDate).toBe('2005-08-15');
    expect(r.name).toBeUndefined();
    expect(r.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
  });

  test('_summary=true keeps only the summary elements and marks the resource SUBSETTED', async () => {
    const res = await fhir().get('/fhir/Patient?name=hakulainen&_summary=true').set('Authorization', auth);
    const r = res.body.entry[0].resource;
    expect(r.birthDate).toBe('2005-08-15');
    expect(r.name[0].family).toBe('Hakulainen');
    expect(r.text).toBeUndefined();
    expect(r.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
  });

  test('an unknown search parameter is ignored and reported, or refused under Prefer: handling=strict', async () => {
    const lenient = await fhir().get('/fhir/Patient?name=hakulainen&nonsense=1').set('Authorization', auth);
    expect(lenient.status).toBe(200);
    const outcome = lenient.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome');
    expect(outcome.resource.issue[0].details.text).toMatch(/nonsense/);
    const strict = await fhir().get('/fhir/Patient?name=hakulainen&nonsense=1').set('Authorization', auth).set('Prefer', 'handling=strict');
    expect(strict.status).toBe(400);
    expect(strict.body.issue[0].details.text).toMatch(/nonsense/);
  });

  test('an invalid search value answers 400 naming the parameter', async () => {
    const res = await fhir().get('/fhir/Patient?birthdate=2020-13-45').set('Authorization', auth);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toMatch(/birthdate/);
  });

  test('chained search, _has, _include and _revinclude follow references', async () => {
    const p = await fhir().post('/fhir/Patient').set('Authorization', auth).send(patient('131052-308T', 'Ketjula', '1952-10-13'));
    const enc = await fhir()
      .post('/fhir/Encounter')
      .set('Authorization', auth)
      .send({ resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: `Patient/${p.body.id}` } });
    expect(enc.status).toBe(201);
    const chained = await fhir().get('/fhir/Encounter?subject.name=ketjula').set('Authorization', auth);
    expect(chained.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([enc.body.id]);
    const has = await fhir().get('/fhir/Patient?_has:Encounter:subject:status=finished&name=ketjula').set('Authorization', auth);
    expect(has.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([p.body.id]);
    const inc = await fhir().get(`/fhir/Encounter?_id=${enc.body.id}&_include=Encounter:subject`).set('Authorization', auth);
    expect(inc.body.entry.map((e: { search: { mode: string } }) => e.search.mode).sort()).toEqual(['include', 'match']);
    const rev = await fhir().get(`/fhir/Patient?_id=${p.body.id}&_revinclude=Encounter:subject`).set('Authorization', auth);
    expect(rev.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'include').resource.id).toBe(enc.body.id);
  });

  test('a transaction resolves urn:uuid references and stores all entries together', async () => {
    const res = await fhir()
      .post('/fhir')
      .set('Authorization', auth)
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: patient('131052-308T', 'Transaktio', '1952-10-13'), request: { method: 'POST', url: 'Patient' } },
          {
            resource: { resourceType: 'Encounter', status: 'planned', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } },
            request: { method: 'POST', url: 'Encounter' },
          },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201', '201']);
    const encId = res.body.entry[1].resource.id;
    const enc = await fhir().get(`/fhir/Encounter/${encId}`).set('Authorization', auth);
    expect(enc.body.subject.reference).toBe(`Patient/${res.body.entry[0].resource.id}`);
  });

  test('a transaction with one bad entry stores nothing and names the entry', async () => {
    const res = await fhir()
      .post('/fhir')
      .set('Authorization', auth)
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: patient('131052-308T', 'Kaikkitaiei', '1952-10-13'), request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Patient', birthDate: 'not-a-date' }, request: { method: 'POST', url: 'Patient' } },
        ],
      });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toMatch(/Bundle\.entry\[1\]/);
    const after = await fhir().get('/fhir/Patient?name=kaikkitaiei').set('Authorization', auth);
    expect(after.body.total).toBe(0);
  });

  test('a batch answers each entry on its own', async () => {
    const res = await fhir()
      .post('/fhir')
      .set('Authorization', auth)
      .send({
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: patient('131052-308T', 'Eraajo', '1952-10-13'), request: { method: 'POST', url: 'Patient' } },
          { request: { method: 'GET', url: 'Patient/not-there' } },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201', '404']);
    expect(res.body.entry[1].response.outcome.issue[0].code).toBe('not-found');
  });

  test('Patient/$everything returns the patient and its compartment', async () => {
    const p = await fhir().post('/fhir/Patient').set('Authorization', auth).send(patient('131052-308T', 'Kaikki', '1952-10-13'));
    await fhir()
      .post('/fhir/Encounter')
      .set('Authorization', auth)
      .send({ resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: `Patient/${p.body.id}` } });
    const res = await fhir().get(`/fhir/Patient/${p.body.id}/$everything`).set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType).sort()).toEqual(['Encounter', 'Patient']);
  });

  test('$validate reports errors as an OperationOutcome without storing anything', async () => {
    const res = await fhir().post('/fhir/Patient/$validate').set('Authorization', auth).send({ resourceType: 'Patient', gender: 'unknown-gender-code' });
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.some((i: { severity: string }) => i.severity === 'error')).toBe(true);
    const ok = await fhir().post('/fhir/Patient/$validate').set('Authorization', auth).send(patient('131052-308T', 'Validi', '1952-10-13'));
    expect(ok.body.issue.some((i: { severity: string }) => i.severity === 'error')).toBe(false);
  });
});
