// $kanta-import: sources as Attachments, refusals reported per source with the file name and nothing of them stored.
import { readFileSync } from 'node:fs';
import type { OperationOutcome, Parameters } from '@medplum/fhirtypes';
import { getStatus } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { kantaImportHandler } from '../../src/kanta/import-operation.js';
import type { FhirRequest, HandlerDeps } from '../../src/fhir/types.js';
import { createMemoryStore } from './memory-store.js';
import { loadConformanceResources } from '../../src/validation/load-profiles.js';
import { createValidator } from '../../src/validation/validator.js';
import { ProjectRoot } from '../../src/storage.js';

const c = loadConformanceResources(['profiles', 'mappings', 'conformance'].map((d) => `${ProjectRoot}/${d}`));
const validator = createValidator({ profiles: c.structureDefinitions, valueSets: c.valueSets, codeSystems: c.codeSystems });
/** The operation validates what it imports through the same services a REST write uses. */
const deps = (store: ReturnType<typeof createMemoryStore>) => ({ store, services: { validate: (r: unknown) => validator.validate(r) } }) as unknown as HandlerDeps;

const source = (name: string, contentType: string): NonNullable<Parameters['parameter']>[number] => ({
  name: 'source',
  valueAttachment: { title: name, contentType, data: readFileSync(new URL(`../fixtures/kanta/${name}`, import.meta.url)).toString('base64') },
});
const request = (body: unknown) => ({ method: 'POST', path: '$kanta-import', params: {}, query: {}, headers: {}, baseUrl: 'http://x/fhir', body }) as FhirRequest;

describe('$kanta-import operation', () => {
  it('imports JSON and CDA sources and answers 200 with one information issue per source', async () => {
    const store = createMemoryStore();
    const res = await kantaImportHandler(request({ resourceType: 'Parameters', parameter: [source('records-base.json', 'application/json'), source('document-v1.xml', 'application/xml')] }), deps(store));
    expect(getStatus(res.outcome)).toBe(200);
    // A CDA makes two resources: its DocumentReference and the Binary holding the CDA.
    expect(res.outcome.issue?.map((i) => i.details?.text)).toEqual(['records-base.json: imported (14 created, 0 updated)', 'document-v1.xml: imported (2 created, 0 updated)']);
  });

  it('section 4: a malformed CDA answers 400 naming the file (the request rolls back: the handler throws)', async () => {
    const store = createMemoryStore();
    const err = await kantaImportHandler(request({ resourceType: 'Parameters', parameter: [source('malformed.xml', 'application/xml')] }), deps(store)).then(
      () => undefined,
      (e: { outcome: OperationOutcome }) => e,
    );
    const res = { outcome: err!.outcome };
    expect(getStatus(res.outcome)).toBe(400);
    expect(res.outcome.issue?.[0]).toMatchObject({ severity: 'error', code: 'invalid', details: { text: expect.stringMatching(/^malformed\.xml: line \d+, column \d+: malformed XML/) } });
    expect(store.all()).toEqual([]);
  });

  it('rejects a body that is not Parameters', async () => {
    await expect(kantaImportHandler(request({ resourceType: 'Patient' }), { store: createMemoryStore() } as unknown as HandlerDeps)).rejects.toMatchObject({
      outcome: { issue: [{ details: { text: '$kanta-import expects a Parameters resource' } }] },
    });
  });
});
