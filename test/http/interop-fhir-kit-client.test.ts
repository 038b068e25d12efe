// Interoperability: the gateway driven by a third-party FHIR client library from npm (fhir-kit-client), over real HTTP, on every backend.
import { CapabilityTool, Client } from 'fhir-kit-client';
import type { Bundle, CapabilityStatement, Observation, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { listenOnLoopback, type Listening } from '../conformance/listen.js';

// The second, independent library (MedplumClient) is driven in test/http/interop-medplum-client.test.ts.

const patient = (family: string): Patient => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.246.21', value: '131052-308T' }],
  name: [{ family, given: ['Interop'] }],
  gender: 'female',
  birthDate: '1952-10-13',
});

describe.each(backends())('fhir-kit-client against the gateway (%s)', (backend) => {
  let gw: TestGateway;
  let server: Listening;
  let client: Client;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    server = await listenOnLoopback(gw.app);
    client = new Client({ baseUrl: server.base, bearerToken: await gw.token(SystemClaims) });
  });
  afterAll(async () => {
    await server?.close();
    await gw?.close();
  });

  test("the library's CapabilityTool reads what the gateway declares", async () => {
    const cs = (await client.capabilityStatement()) as unknown as CapabilityStatement;
    const tool = new CapabilityTool(cs as never);
    expect(tool.resourceCan('Patient', 'read')).toBe(true);
    expect(tool.resourceCan('Patient', 'create')).toBe(true);
    expect(tool.resourceCan('AuditEvent', 'update')).toBe(false);
    expect(tool.serverCan('transaction')).toBe(true);
  });

  test('create, read, update, vread and history round-trip through the library', async () => {
    const created = (await client.create({ resourceType: 'Patient', body: patient('Interoperable') as never })) as Patient;
    expect(created.meta?.versionId).toBe('1');
    const read = (await client.read({ resourceType: 'Patient', id: created.id! })) as Patient;
    expect(read.name?.[0].family).toBe('Interoperable');
    const updated = (await client.update({ resourceType: 'Patient', id: created.id!, body: { ...read, gender: 'male' } as never })) as Patient;
    expect(updated.meta?.versionId).toBe('2');
    const v1 = (await client.vread({ resourceType: 'Patient', id: created.id!, version: '1' })) as Patient;
    expect(v1.gender).toBe('female');
    const history = (await client.history({ resourceType: 'Patient', id: created.id! })) as unknown as Bundle;
    expect(history.type).toBe('history');
    expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
  });

  test('search by a parameter finds the created resource', async () => {
    await client.create({ resourceType: 'Patient', body: patient('Searchable') as never });
    const bundle = (await client.search({ resourceType: 'Patient', searchParams: { family: 'Searchable' } })) as unknown as Bundle<Patient>;
    expect(bundle.type).toBe('searchset');
    expect(bundle.entry?.map((e) => e.resource?.name?.[0].family)).toEqual(['Searchable']);
  });

  test('a missing resource surfaces as the library error carrying a 404 OperationOutcome', async () => {
    const error = (await client.read({ resourceType: 'Patient', id: 'no-such-patient' }).catch((e: unknown) => e)) as { response: { status: number; data: OperationOutcome } };
    expect(error.response.status).toBe(404);
    expect(error.response.data.resourceType).toBe('OperationOutcome');
    expect(error.response.data.issue[0].code).toBe('not-found');
  });

  test('paging through a large search with nextPage returns all 120 matches exactly once', async () => {
    const subject = (await client.create({ resourceType: 'Patient', body: patient('Paged') as never })) as Patient;
    const entries = Array.from({ length: 120 }, (_, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
        subject: { reference: `Patient/${subject.id}` },
        valueQuantity: { value: 60 + i, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      } satisfies Observation,
      request: { method: 'POST' as const, url: 'Observation' },
    }));
    const tx = (await client.transaction({ body: { resourceType: 'Bundle', type: 'transaction', entry: entries } as never })) as unknown as Bundle;
    expect(tx.entry?.every((e) => e.response?.status.startsWith('201'))).toBe(true);

    const seen: string[] = [];
    let pages = 0;
    let page: Bundle | undefined = (await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${subject.id}`, _count: 25 } })) as unknown as Bundle;
    while (page) {
      pages++;
      expect(page.entry?.length ?? 0).toBeLessThanOrEqual(25);
      seen.push(...(page.entry ?? []).map((e) => e.resource!.id!));
      page = (await client.nextPage({ bundle: page as never })) as unknown as Bundle | undefined;
    }
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(120);
    expect(seen).toHaveLength(120);
  });
});
