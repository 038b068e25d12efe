// Interoperability: the gateway driven by a second, independent FHIR client library from npm (MedplumClient of @medplum/core) over real HTTP, on every backend.
import { MedplumClient } from '@medplum/core';
import type { Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { listenOnLoopback, type Listening } from '../conformance/listen.js';

describe.each(backends())('MedplumClient against the gateway (%s)', (backend) => {
  let gw: TestGateway;
  let server: Listening;
  let client: MedplumClient;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    server = await listenOnLoopback(gw.app);
    // The library talks to any FHIR server given a base URL and a bearer token; its own login flows are not used.
    client = new MedplumClient({ baseUrl: server.base.replace(/fhir$/, ''), fhirUrlPath: 'fhir', fetch: globalThis.fetch, cacheTime: 0 });
    client.setAccessToken(await gw.token(SystemClaims));
  });
  afterAll(async () => {
    await server?.close();
    await gw?.close();
  });

  test('create, read, update, vread and history round-trip through the library', async () => {
    const created = await client.createResource<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: 'urn:oid:1.2.246.21', value: '131052-308T' }],
      name: [{ family: 'Medplumasiakas', given: ['Interop'] }],
      birthDate: '1952-10-13',
    });
    expect(created.meta?.versionId).toBe('1');
    const read = await client.readResource('Patient', created.id!);
    expect(read.name?.[0].family).toBe('Medplumasiakas');
    const updated = await client.updateResource<Patient>({ ...read, gender: 'female' });
    expect(updated.meta?.versionId).toBe('2');
    const v1 = await client.readVersion('Patient', created.id!, '1');
    expect(v1.gender).toBeUndefined();
    const history = await client.readHistory('Patient', created.id!);
    expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
  });

  test('the library pages through a large search by following next links', async () => {
    const patient = await client.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Sivutus' }] });
    await client.executeBatch({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: Array.from({ length: 60 }, (_, i) => ({
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
          subject: { reference: `Patient/${patient.id}` },
          effectiveDateTime: `2026-01-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
          valueQuantity: { value: 60 + i, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
        } as Observation,
        request: { method: 'POST', url: 'Observation' },
      })),
    });
    const pages: number[] = [];
    const ids = new Set<string>();
    for await (const page of client.searchResourcePages('Observation', { subject: `Patient/${patient.id}`, _count: '25' })) {
      pages.push(page.length);
      for (const o of page) ids.add(o.id!);
    }
    expect(pages).toEqual([25, 25, 10]);
    expect(ids.size).toBe(60);
  });

  test('a missing resource surfaces as the library error carrying the OperationOutcome', async () => {
    await expect(client.readResource('Patient', 'not-there')).rejects.toMatchObject({ outcome: { resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] } });
  });
});
