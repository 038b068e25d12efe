// The demo population shows the rules: personas' views differ, dates span years, a child visit predates 2016-08-01, seeded professional accesses reach the citizen's log (A4).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seedDemoAccesses } from '../../src/demo/seed-demo-accesses.js';
import { backends } from '../support/backends.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

type Bundle = { entry?: Array<{ resource: Record<string, any>; search?: { mode?: string } }> };

describe.each(backends())('demo population (%s)', (backend) => {
  let gw: TestGateway;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    gw = await startTestGateway(backend, { DEMO_DATA: '1' });
    server = gw.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await gw?.close();
  });

  async function search(persona: string, query: string): Promise<Array<Record<string, any>>> {
    const token = await gw.gateway.devIssuer!.mintPersona(persona);
    const res = await fetch(`${origin}/fhir/${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as Bundle;
    return (bundle.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource);
  }
  const ids = async (persona: string, query: string) => (await search(persona, query)).map((r) => r.id as string).sort().join(' ');

  test('D2/D3/D7: the second Uusimaa, other-county and private doctors do not all see the same documents of Maija', async () => {
    const q = 'DocumentReference?patient=demo-patient-maija&_count=100';
    const views = new Set([await ids('nurse-uusimaa-2', q), await ids('doctor-other-county', q), await ids('doctor-private', q)]);
    expect(views.size).toBe(3);
  });

  test('document dates span years, and a child visit is dated before the guardian cut-off 2016-08-01', async () => {
    const docs = await search('importer', 'DocumentReference?_count=200');
    const years = new Set(docs.map((d) => String(d.date).slice(0, 4)));
    expect(years.size).toBeGreaterThanOrEqual(5);
    const visits = await search('importer', 'Encounter?patient=demo-patient-eino');
    expect(visits.some((e) => String(e.period?.start) < '2016-08-01')).toBe(true);
  });

  test("A4: the seeded professional accesses appear in the citizen's own log", async () => {
    await seedDemoAccesses(origin, (id) => gw.gateway.devIssuer!.mintPersona(id), { info: () => undefined, warn: () => undefined });
    const events = await search('citizen', 'AuditEvent?patient=Patient/demo-patient-maija&_count=100');
    const who = new Set(events.map((e) => e.agent?.find((a: Record<string, any>) => a.requestor)?.who?.display));
    expect([...who]).toEqual(expect.arrayContaining(['Dr. Laura Lääkäri', 'Hanna Hoitaja', 'Dr. Pekka Potilas', 'Paula Proviisori']));
  });
});
