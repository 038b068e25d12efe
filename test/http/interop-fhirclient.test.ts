// Interoperability: the gateway driven by the SMART on FHIR JavaScript library (fhirclient, Node mode) over real HTTP, on every backend.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import smart from 'fhirclient';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { listenOnLoopback, type Listening } from '../conformance/listen.js';

type SmartClient = ReturnType<ReturnType<typeof smart>['client']>;

/** fhirclient's Node adapter wants the request/response pair of the app it runs in; this test is that app. */
function nodeAdapterContext(): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.headers = { host: '127.0.0.1' };
  req.url = '/';
  return { req, res: new ServerResponse(req) };
}

describe.each(backends())('fhirclient (SMART JS library) against the gateway (%s)', (backend) => {
  let gw: TestGateway;
  let server: Listening;
  let client: SmartClient;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    server = await listenOnLoopback(gw.app);
    const { req, res } = nodeAdapterContext();
    client = smart(req, res).client({ serverUrl: server.base, tokenResponse: { access_token: await gw.token(SystemClaims), token_type: 'Bearer' } });
  });
  afterAll(async () => {
    await server?.close();
    await gw?.close();
  });

  test('create, read and update round-trip through the library', async () => {
    const created = (await client.create({
      resourceType: 'Patient',
      identifier: [{ system: 'urn:oid:1.2.246.21', value: '131052-308T' }],
      name: [{ family: 'Smartclient', given: ['Interop'] }],
      birthDate: '1952-10-13',
    })) as Patient;
    expect(created.meta?.versionId).toBe('1');
    const read = (await client.request(`Patient/${created.id}`)) as Patient;
    expect(read.name?.[0].family).toBe('Smartclient');
    const updated = (await client.update({ ...read, gender: 'female' } as never)) as Patient;
    expect(updated.meta?.versionId).toBe('2');
    const history = (await client.request(`Patient/${created.id}/_history`)) as Bundle;
    expect(history.total).toBe(2);
  });

  test('the library follows next links through a large search (pageLimit 0, flat)', async () => {
    const patient = (await client.create({ resourceType: 'Patient', name: [{ family: 'Sivutus' }] })) as Patient;
    const entries = Array.from({ length: 60 }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patient.id}` },
        effectiveDateTime: `2026-01-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
        valueQuantity: { value: 60 + i, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      },
      request: { method: 'POST', url: 'Observation' },
    }));
    const tx = (await client.request({ url: '', method: 'POST', body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries }), headers: { 'Content-Type': 'application/fhir+json' } })) as Bundle;
    expect(tx.entry).toHaveLength(60);
    const pages: number[] = [];
    await client.request(`Observation?subject=Patient/${patient.id}&_count=25`, {
      pageLimit: 0,
      flat: true,
      // With flat: true the library hands each page over as its array of resources.
      onPage: (page) => {
        pages.push((page as unknown[]).length);
      },
    });
    expect(pages).toEqual([25, 25, 10]);
    const all = (await client.request(`Observation?subject=Patient/${patient.id}&_count=25`, { pageLimit: 0, flat: true })) as Observation[];
    expect(all).toHaveLength(60);
    expect(new Set(all.map((o) => o.id)).size).toBe(60);
  });

  test('a missing resource surfaces as an HTTP error of the library with status 404', async () => {
    await expect(client.request('Patient/not-there')).rejects.toMatchObject({ statusCode: 404 });
  });
});
