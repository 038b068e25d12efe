// SPEC F2 and section 4: imported sample files conform to the profiles, through the real SQLite store, and a bad file changes nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSources } from '../../src/kanta/import.js';
import { createSearchRegistry } from '../../src/search/registry.js';
import type { ResourceStore } from '../../src/store/resource-store.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { createSqlResourceStore, migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';
import { loadConformanceResources } from '../../src/validation/load-profiles.js';
import { createValidator, type Validator } from '../../src/validation/validator.js';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const fixture = (name: string) => ({ name, content: readFileSync(root(`test/fixtures/kanta/${name}`), 'utf8') });
const errors = (o: OperationOutcome) => (o.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
const GOOD = [
  'records-base.json', 'document-v1.xml', 'document-v2.xml', 'document-to-invalidate.xml', 'document-invalidation.xml',
  'document-delayed.xml', 'document-special-content.xml', 'document-occupational.xml', 'social-document.xml', 'records-consents.json',
];

let db: SqlDatabase;
let store: ResourceStore;
let validator: Validator;
const created: string[] = [];

async function readAll(refs: string[]): Promise<Resource[]> {
  return Promise.all(refs.map(async (ref) => {
    const [type, id] = ref.split('/');
    return (await store.read(type, id)) as Resource;
  }));
}

beforeAll(async () => {
  const conformance = loadConformanceResources([root('profiles'), root('mappings')]);
  validator = createValidator({ profiles: conformance.structureDefinitions, valueSets: conformance.valueSets, codeSystems: conformance.codeSystems });
  db = openSqliteDatabase(':memory:');
  await migrateResourceStore(db);
  store = createSqlResourceStore(db, createSearchRegistry());
  const report = await importSources(GOOD.map(fixture), store);
  for (const input of report.inputs) expect(input.outcome, input.name).toBeUndefined();
  for (const input of report.inputs) created.push(...input.created);
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe('Kanta import into the SQLite store', () => {
  it('F2: every imported resource conforms to the profile it claims', async () => {
    const resources = await readAll([...new Set(created)]);
    expect(resources.length).toBeGreaterThan(30);
    for (const r of resources) {
      expect(r.meta?.profile?.[0], `${r.resourceType}/${r.id}`).toMatch(/^https:\/\/kanta-gateway\.example\.org\/fhir\/StructureDefinition\/kanta-/);
      const outcome = validator.validate(r);
      expect(errors(outcome), `${r.resourceType}/${r.id}: ${JSON.stringify(errors(outcome))}`).toEqual([]);
    }
  });

  it('F2: updated (superseded, invalidated) documents still conform', async () => {
    const docs = (await readAll(created.filter((r) => r.startsWith('DocumentReference/')))) as Array<Resource & { status?: string }>;
    expect(docs.map((d) => d.status).sort()).toEqual(['current', 'current', 'current', 'current', 'current', 'entered-in-error', 'entered-in-error', 'superseded']);
    for (const d of docs) expect(errors(validator.validate(d))).toEqual([]);
  });

  it('importing the same files again writes no version: every record is counted unchanged', async () => {
    const count = async () => (await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM resource_version'))[0].n;
    const before = await count();
    const report = await importSources([...GOOD].reverse().map(fixture), store);
    for (const input of report.inputs) expect({ name: input.name, ok: input.ok, created: input.created, updated: input.updated }).toEqual({ name: input.name, ok: true, created: [], updated: [] });
    expect(report.inputs.reduce((n, i) => n + i.unchanged.length, 0)).toBeGreaterThan(30);
    expect(await count()).toBe(before);
  });

  it('section 4: every bad sample file is refused with its file name and changes nothing', async () => {
    const count = async () => (await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM resource_version'))[0].n;
    const before = await count();
    const bad = readdirSync(root('test/fixtures/kanta')).filter((f) => /malformed|missing|bad|unknown/.test(f));
    const report = await importSources(bad.map(fixture), store);
    for (const input of report.inputs) {
      expect(input.ok, input.name).toBe(false);
      expect(input.outcome?.issue?.[0].details?.text?.startsWith(`${input.name}: `), input.name).toBe(true);
    }
    expect(await count()).toBe(before);
  });
});
