// The validating store used by the import paths: an invalid record is refused with its OperationOutcome and nothing is written.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Organization } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openStorage, type Storage } from '../../src/storage.js';
import { createValidatingStore } from '../../src/store/validating-store.js';

describe('validating store', () => {
  let dir: string;
  let storage: Storage;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kanta-validating-'));
    storage = await openStorage({ dataDir: dir });
  });
  afterAll(async () => {
    await storage.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a record breaking its claimed Kanta profile is refused inside a transaction and nothing of the transaction is kept', async () => {
    const store = createValidatingStore(storage.rawStore(storage.db), (r) => storage.validator.validate(r));
    const valid: Organization = { resourceType: 'Organization', name: 'Kelvollinen' };
    const invalid = { resourceType: 'Patient' as const, meta: { profile: ['https://kanta-gateway.example.org/fhir/StructureDefinition/kanta-patient'] }, name: [{ family: 'Ilman-hetua' }] };
    await expect(
      store.transaction(async (tx) => {
        await tx.create(valid);
        await tx.create(invalid);
      }),
    ).rejects.toMatchObject({ outcome: { issue: expect.arrayContaining([expect.objectContaining({ severity: 'error' })]) } });
    const orgs = await storage.rawStore(storage.db).search({ resourceType: 'Organization', where: [], sort: [], count: 10, offset: 0, total: 'accurate', include: [], revinclude: [] });
    expect(orgs.total).toBe(0);
    const stored = await store.create(valid);
    expect(stored.meta?.versionId).toBe('1');
  });
});
