// Bulk Data $export over HTTP: kick-off, polling, manifest, NDJSON download, DELETE, consent filtering, audit, and a round trip through $kanta-import.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditEvent, Bundle, Resource } from '@medplum/fhirtypes';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { meta } from '../consent/world.js';
import { ago, healthMarks, Org, organizations, patientOf, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';


interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string; count: number }>;
  error: Array<{ type: string; url: string; count: number }>;
}

/** The status URL a kick-off answered with. */
function location(res: request.Response): string {
  const url = res.get('Content-Location');
  expect(url, 'Content-Location').toMatch(/^http:\/\/.+\/bulk-export\/[0-9a-f-]{36}$/);
  return url!;
}

/** Path of an absolute URL the gateway handed out (supertest talks to the app, not to a host). */
const pathOf = (url: string): string => new URL(url).pathname;

async function kickOff(gw: TestGateway, auth: string, path: string): Promise<request.Response> {
  return request(gw.app).get(`/fhir/${path}`).set('Authorization', auth).set('Prefer', 'respond-async').set('Accept', 'application/fhir+json');
}

/** Polls until the job is done (no timing assumption: as many polls as it takes, each after the job had a chance to run). */
async function poll(gw: TestGateway, auth: string, status: string): Promise<Manifest> {
  for (;;) {
    const res = await request(gw.app).get(pathOf(status)).set('Authorization', auth);
    if (res.status === 202) {
      expect(res.get('X-Progress')).toMatch(/resource types exported/);
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return JSON.parse(res.text) as Manifest;
  }
}

async function download(gw: TestGateway, auth: string, url: string): Promise<Resource[]> {
  const res = await request(gw.app).get(pathOf(url)).set('Authorization', auth).buffer(true).parse((r, cb) => {
    let text = '';
    r.on('data', (c: Buffer) => (text += c.toString()));
    r.on('end', () => cb(null, text));
  });
  expect(res.status).toBe(200);
  expect(res.get('Content-Type')).toMatch(/^application\/fhir\+ndjson/);
  const text = res.body as string;
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as Resource);
}

async function exportAll(gw: TestGateway, auth: string, path: string): Promise<{ manifest: Manifest; byType: Map<string, Resource[]> }> {
  const start = await kickOff(gw, auth, path);
  expect(start.status, JSON.stringify(start.body)).toBe(202);
  const manifest = await poll(gw, auth, location(start));
  const byType = new Map<string, Resource[]>();
  for (const o of manifest.output) {
    const rs = await download(gw, auth, o.url);
    expect(rs.length).toBe(o.count);
    expect(rs.every((r) => r.resourceType === o.type)).toBe(true);
    expect(new Set(rs.map((r) => r.id)).size).toBe(rs.length);
    byType.set(o.type, rs);
  }
  return { manifest, byType };
}

const withoutMeta = ({ meta: _m, ...rest }: Resource): Omit<Resource, 'meta'> => rest;
const byId = (rs: Resource[]) => Object.fromEntries(rs.map((r) => [r.id, withoutMeta(r)]));

async function searchAll(gw: TestGateway, auth: string, type: string): Promise<Resource[]> {
  const res = await request(gw.app).get(`/fhir/${type}?_count=1000`).set('Authorization', auth);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as Resource);
}

describe.each(backends())('Bulk Data $export on %s', (backend) => {
  let gw: TestGateway;
  let world: SeededWorld;
  let operator: string;
  beforeAll(async () => {
    gw = await startTestGateway(backend);
    operator = `Bearer ${await gw.token(SystemClaims)}`;
    const orgs = await seedWorld(gw, organizations());
    world = await seedWorld(
      gw,
      [
        patientOf('anna', ago(40)),
        patientOf('bert', ago(30)),
        { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'Patient/anna' }, meta: meta(healthMarks(Org.HUS)) } as Resource,
        { resourceType: 'Encounter', id: 'e2', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'Patient/bert' }, meta: meta(healthMarks(Org.TAYS)) } as Resource,
      ],
      orgs,
    );
  });
  afterAll(async () => gw?.close());

  test('system $export: kick-off 202 with Content-Location, manifest, NDJSON per type; a round trip through $kanta-import gives the same resources', async () => {
    const { manifest, byType } = await exportAll(gw, operator, '$export');
    expect(manifest.requiresAccessToken).toBe(true);
    expect(manifest.request).toMatch(/\/fhir\/\$export$/);
    expect(manifest.error).toEqual([]);
    expect(Date.parse(manifest.transactionTime)).not.toBeNaN();
    expect([...byType.keys()].sort()).toEqual(['Encounter', 'Organization', 'Patient']);
    expect(byType.get('Patient')!.map((r) => r.id).sort()).toEqual([world.id('Patient/anna'), world.id('Patient/bert')].sort());
    expect(byType.get('Encounter')!.length).toBe(2);

    // Round trip: the exported NDJSON imported into an empty store gives the same resources (ids and content).
    const empty = await startTestGateway(backend);
    try {
      const auth = `Bearer ${await empty.token(SystemClaims)}`;
      const ndjson = [...byType.values()].flat().map((r) => JSON.stringify(r)).join('\n');
      const imported = await request(empty.app)
        .post('/fhir/$kanta-import')
        .set('Authorization', auth)
        .set('Content-Type', 'application/fhir+json')
        .send({ resourceType: 'Parameters', parameter: [{ name: 'source', valueAttachment: { title: 'export.ndjson', data: Buffer.from(ndjson).toString('base64') } }] });
      expect(imported.status, JSON.stringify(imported.body).slice(0, 2000)).toBe(200);
      for (const [type, exported] of byType) {
        expect(byId(await searchAll(empty, auth, type)), type).toEqual(byId(exported));
      }
    } finally {
      await empty.close();
    }
  });

  test('Patient/$export with _type and _since: only those types, only resources changed after _since', async () => {
    const { byType } = await exportAll(gw, operator, 'Patient/$export?_type=Patient');
    expect([...byType.keys()]).toEqual(['Patient']);
    expect(byType.get('Patient')!.length).toBe(2);

    const before = await exportAll(gw, operator, 'Patient/$export');
    expect([...before.byType.keys()].sort()).toEqual(['Encounter', 'Patient']);

    // An update after the cut-off is the only thing a _since export returns.
    await new Promise((r) => setTimeout(r, 5));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const anna = (await request(gw.app).get(`/fhir/Patient/${world.id('Patient/anna')}`).set('Authorization', operator)).body as Resource;
    const put = await request(gw.app).put(`/fhir/Patient/${anna.id}`).set('Authorization', operator).set('Content-Type', 'application/fhir+json').send({ ...anna, gender: 'female' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const after = await exportAll(gw, operator, `$export?_type=Patient,Encounter&_since=${encodeURIComponent(since)}`);
    expect([...after.byType.keys()]).toEqual(['Patient']);
    expect(after.byType.get('Patient')!.map((r) => r.id)).toEqual([anna.id]);
  });

  test('a system client of an organisation gets only what its disclosure rules allow (directory data), not the patient records', async () => {
    const client = `Bearer ${await gw.token({ sub: 'his-client', kanta_role: 'system', organization: Org.HUS, scope: 'system/*.rs', client_id: 'his-client' })}`;
    const { manifest, byType } = await exportAll(gw, client, '$export');
    expect(byType.has('Patient')).toBe(false);
    expect(byType.has('Encounter')).toBe(false);
    expect(byType.get('Organization')!.length).toBe(organizations().length);
    expect(manifest.output.every((o) => o.type === 'Organization')).toBe(true);
  });

  test('declared in the CapabilityStatement at system, Patient and Group level; POST with a Parameters body kicks off too', async () => {
    const cs = (await request(gw.app).get('/fhir/metadata')).body;
    expect(cs.rest[0].operation.map((o: { name: string }) => o.name)).toContain('export');
    const patient = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(patient.operation.map((o: { name: string }) => o.name)).toContain('export');
    const group = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Group');
    const groupExport = group.operation.find((o: { name: string }) => o.name === 'export');
    expect(groupExport.definition).toMatch(/OperationDefinition\/group-export$/);
    const definition = await request(gw.app).get('/fhir/OperationDefinition?url=' + encodeURIComponent(groupExport.definition)).set('Authorization', operator);
    expect(definition.status).toBe(200);
    expect(definition.body.entry[0].resource).toMatchObject({ code: 'export', resource: ['Group'], instance: true, system: false, type: false });
    const res = await request(gw.app)
      .post('/fhir/Patient/$export')
      .set('Authorization', operator)
      .set('Prefer', 'respond-async')
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const manifest = await poll(gw, operator, location(res));
    expect(manifest.output.map((o) => o.type)).toEqual(['Patient']);
    expect(manifest.request).toMatch(/Patient\/\$export\?_type=Patient$/);
  });

  test('Group/[id]/$export: only the members\' Patients and compartment data; a non-member\'s data is absent', async () => {
    const anna = world.id('Patient/anna');
    const group = await request(gw.app)
      .post('/fhir/Group')
      .set('Authorization', operator)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${anna}` } }, { entity: { reference: `Patient/${world.id('Patient/bert')}` }, inactive: true }] });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const { manifest, byType } = await exportAll(gw, operator, `Group/${group.body.id}/$export`);
    expect(manifest.request).toMatch(new RegExp(`/fhir/Group/${group.body.id}/\\$export$`));
    expect(manifest.error).toEqual([]);
    expect(byType.get('Patient')!.map((r) => r.id)).toEqual([anna]);
    expect(byType.get('Encounter')!.map((r) => r.id)).toEqual([world.id('Encounter/e1')]);
    const all = [...byType.values()].flat();
    expect(all.some((r) => r.id === world.id('Patient/bert') || r.id === world.id('Encounter/e2'))).toBe(false);
    expect(byType.has('Organization')).toBe(false); // not in a Patient compartment

    const typed = await exportAll(gw, operator, `Group/${group.body.id}/$export?_type=Encounter`);
    expect([...typed.byType.keys()]).toEqual(['Encounter']);
    const bad = await kickOff(gw, operator, `Group/${group.body.id}/$export?_type=Organization`);
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].details.text).toMatch(/_type 'Organization' cannot be exported at Group level/);
  });

  test('Group/[id]/$export of an unknown Group is 404; a caller other than the operator cannot see the Group (404 alike)', async () => {
    const unknown = await kickOff(gw, operator, 'Group/no-such-group/$export');
    expect(unknown.status).toBe(404);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
    expect(unknown.body.issue[0].details.text).toBe('Group/no-such-group not found');

    const group = await request(gw.app)
      .post('/fhir/Group')
      .set('Authorization', operator)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${world.id('Patient/anna')}` } }] });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const client = `Bearer ${await gw.token({ sub: 'his-client', kanta_role: 'system', organization: Org.HUS, scope: 'system/*.rs', client_id: 'his-client' })}`;
    const res = await kickOff(gw, client, `Group/${group.body.id}/$export`);
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].details.text).toBe(`Group/${group.body.id} not found`);
    expect(res.get('Content-Location')).toBeUndefined();
  });

  test('a person is refused with 403 and an OperationOutcome', async () => {
    const doctor = `Bearer ${await gw.token({ sub: '010180-900X', kanta_role: 'professional', organization: Org.HUS, sector: 'health', purpose_of_use: 'TREAT', scope: 'user/*.rs' })}`;
    const res = await kickOff(gw, doctor, '$export');
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('forbidden');
    expect(res.body.issue[0].details.text).toMatch(/system clients/);
  });

  test('bad kick-offs are 400 with an OperationOutcome naming the problem', async () => {
    const cases: Array<[string, RegExp, boolean?]> = [
      ['$export?_outputFormat=application/fhir%2Bjson', /_outputFormat/],
      ['$export?_since=yesterday', /_since/],
      ['$export?_since=2025-01-01', /_since/],
      ['$export?_type=Claim', /_type 'Claim'/],
      ['Patient/$export?_type=Organization', /at Patient level/],
      ['$export?_typeFilter=Patient%3Factive%3Dtrue', /_typeFilter/],
    ];
    for (const [path, text] of cases) {
      const res = await kickOff(gw, operator, path);
      expect(res.status, path).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].details.text, path).toMatch(text);
    }
    const sync = await request(gw.app).get('/fhir/$export').set('Authorization', operator);
    expect(sync.status).toBe(400);
    expect(sync.body.issue[0].details.text).toMatch(/Prefer: respond-async/);
    const ok = await kickOff(gw, operator, '$export?_outputFormat=ndjson&_type=Organization');
    expect(ok.status).toBe(202);
    await poll(gw, operator, location(ok));
  });

  test('only the caller who started a job may poll, download or delete it; DELETE removes it (then 404)', async () => {
    const start = await kickOff(gw, operator, '$export?_type=Patient');
    const status = location(start);
    const manifest = await poll(gw, operator, status);
    const other = `Bearer ${await gw.token({ ...SystemClaims, sub: 'another-system', client_id: 'another-system' })}`;
    for (const res of [
      await request(gw.app).get(pathOf(status)).set('Authorization', other),
      await request(gw.app).get(pathOf(manifest.output[0].url)).set('Authorization', other),
      await request(gw.app).delete(pathOf(status)).set('Authorization', other),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    const anonymous = await request(gw.app).get(pathOf(manifest.output[0].url));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.resourceType).toBe('OperationOutcome');

    const del = await request(gw.app).delete(pathOf(status)).set('Authorization', operator);
    expect(del.status).toBe(202);
    expect((await request(gw.app).get(pathOf(status)).set('Authorization', operator)).status).toBe(404);
    expect((await request(gw.app).get(pathOf(manifest.output[0].url)).set('Authorization', operator)).status).toBe(404);
  });

  test('what an export discloses is audited ($export AuditEvents naming the exported resources)', async () => {
    const { byType } = await exportAll(gw, operator, '$export?_type=Encounter');
    const ids = byType.get('Encounter')!.map((r) => `Encounter/${r.id}`);
    const res = await request(gw.app).get('/fhir/AuditEvent?_count=1000').set('Authorization', operator);
    expect(res.status).toBe(200);
    const events = ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
    const exports = events.filter((e) => e.subtype?.some((c) => c.display === '$export') && e.entity?.some((en) => ids.includes(en.what?.reference ?? '')));
    expect(exports.length).toBeGreaterThan(0);
    const named = new Set(exports.flatMap((e) => (e.entity ?? []).map((en) => en.what?.reference)));
    for (const id of ids) expect(named.has(id), id).toBe(true);
  });
});


describe.each(backends())('Bulk Data $export paging on %s', (backend) => {
  let gw: TestGateway;
  let operator: string;
  const patients = ['p7', 'p3', 'p6', 'p1', 'p5', 'p2', 'p4'];
  beforeAll(async () => {
    gw = await startTestGateway(backend, { EXPORT_PAGE_SIZE: '2' });
    operator = `Bearer ${await gw.token(SystemClaims)}`;
    await seedWorld(gw, patients.map((p) => patientOf(p, ago(30))));
  });
  afterAll(async () => gw?.close());

  test('an export of more resources than one page returns each exactly once, and audits each once', async () => {
    const { manifest, byType } = await exportAll(gw, operator, '$export?_type=Patient');
    const ids = byType.get('Patient')!.map((r) => r.id);
    expect(manifest.output).toEqual([expect.objectContaining({ type: 'Patient', count: patients.length })]);
    expect(ids.length).toBe(patients.length);
    expect(new Set(ids).size).toBe(patients.length);
    const res = await request(gw.app).get('/fhir/AuditEvent?_count=1000').set('Authorization', operator);
    const pages = ((res.body as Bundle).entry ?? [])
      .map((e) => e.resource as AuditEvent)
      .filter((e) => e.subtype?.some((c) => c.display === '$export') && e.entity?.some((en) => en.what?.reference?.startsWith('Patient/')));
    // The audit names each exported Patient exactly once too (an event per page and patient names it as patient and as what was disclosed).
    const named = pages.flatMap((e) => [...new Set((e.entity ?? []).map((en) => en.what?.reference).filter((r) => r?.startsWith('Patient/')))]);
    expect(named.sort()).toEqual(ids.map((id) => `Patient/${id}`).sort());
  });
});
