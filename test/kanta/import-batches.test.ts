// The import run in batches: large sources refuse record by record, in dependency order, resumable from a saved position; large JSON is streamed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePatient } from '../../src/kanta/generator.js';
import { demoOrganizations } from '../../src/kanta/demo-organizations.js';
import { runImport, type RunPosition, type ImportTotals } from '../../src/kanta/import-run.js';
import { fileSource, memorySource } from '../../src/kanta/import-sources.js';
import { createMemoryStore, type MemoryStore } from './memory-store.js';

const dir = mkdtempSync(join(tmpdir(), 'kanta-batches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const population = (): Resource[] => [...demoOrganizations(), ...generatePatient(3, 0, '2025-06-01'), ...generatePatient(3, 1, '2025-06-01')];
const ndjson = (rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join('\n');
const run = (store: MemoryStore, name: string, content: string, extra: Partial<Parameters<typeof runImport>[0]> = {}) =>
  runImport({ sources: [memorySource(name, content)], transaction: (fn) => store.transaction((tx) => fn(tx)), batchSize: 5, ...extra });

describe('import run in batches', () => {
  it('a large NDJSON source in reverse dependency order is applied in order; a bad line and a dangling reference are refused alone', async () => {
    const resources = population();
    const lines: unknown[] = [...resources].reverse();
    lines.splice(3, 0, { resourceType: 'Encounter', id: 'dangling', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/nobody' } });
    lines.splice(7, 0, { resourceType: 'Patient' });
    // A second dangling reference in the same batch: refused in its own savepoint once the batch is retried.
    lines.splice(5, 0, { resourceType: 'Encounter', id: 'dangling-2', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/nobody-2' } });
    const store = createMemoryStore();
    const report = await run(store, 'population.ndjson', ndjson(lines));
    expect(report.totals).toMatchObject({ created: resources.length, updated: 0, unchanged: 0, refused: 3 });
    const texts = report.sources[0].refusals.map((o) => o.issue?.[0].details?.text).sort();
    expect(texts).toEqual([
      'population.ndjson: line 4: Encounter.subject.reference: Patient/nobody is neither in the store nor in this import',
      'population.ndjson: line 6: Encounter.subject.reference: Patient/nobody-2 is neither in the store nor in this import',
      'population.ndjson: line 9: Patient.id: every imported resource needs a valid id (its natural key)',
    ]);
    expect(store.all()).toHaveLength(resources.length);
  });

  it('a small source (at most one batch) is all-or-nothing: one bad line refuses the whole file', async () => {
    const store = createMemoryStore();
    const report = await run(store, 'small.ndjson', ndjson([demoOrganizations()[0], { resourceType: 'Patient' }]), { batchSize: 1000 });
    expect(report.sources[0]).toMatchObject({ ok: false, counts: { refused: 2 } });
    expect(store.all()).toEqual([]);
  });

  it('resumed from the position saved with the last committed batch, a run stores every resource exactly once', async () => {
    const resources = population();
    const content = ndjson(resources);
    const store = createMemoryStore();
    let saved: { position: RunPosition; totals: ImportTotals } | undefined;
    let batches = 0;
    // The "crash": the third batch fails after writing, so it rolls back; the first two are committed with their positions.
    await expect(
      run(store, 'p.ndjson', content, {
        async onBatch({ position, totals }) {
          if (++batches === 3) throw new Error('killed');
          saved = { position, totals };
        },
      }),
    ).rejects.toThrow('killed');
    expect(store.all()).toHaveLength(10);
    const resumed = await run(store, 'p.ndjson', content, { resume: saved });
    expect(resumed.totals).toMatchObject({ created: resources.length, updated: 0, unchanged: 0, refused: 0, done: resources.length });
    expect(store.all()).toHaveLength(resources.length);
    expect(store.all().every((r) => r.meta?.versionId === '1')).toBe(true);
  });

  it('a JSON record file over 4 MB is streamed record by record, and a broken tail is refused while the records read before it stay', async () => {
    const record = (i: number) => ({ type: 'organization', oid: `1.2.246.10.${i}`, name: `Yksikkö ${i} ${'x'.repeat(200)}`, registerKinds: ['public-health'] });
    const n = 20_000;
    const good = join(dir, 'big.json');
    writeFileSync(good, JSON.stringify({ format: 'kanta-records/1', records: Array.from({ length: n }, (_, i) => record(i)) }));
    let items = 0;
    for await (const e of fileSource(good, 'big.json').entries()) if ('item' in e) items++;
    expect(items).toBe(n);

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, `${JSON.stringify({ records: Array.from({ length: n }, (_, i) => record(i)) }).slice(0, -40)}, {"type": oops`);
    const entries: Array<{ item?: unknown; index?: number; refused?: { issue?: Array<{ details?: { text?: string } }> } }> = [];
    for await (const e of fileSource(broken, 'broken.json').entries()) entries.push(e as never);
    // The parser reads in chunks: records up to the last complete chunk before the break are still read.
    expect(entries.filter((e) => e.item).length).toBeGreaterThan(n * 0.9);
    expect(entries.at(-1)?.index).toBe(-1);
    expect(entries.at(-1)?.refused?.issue?.[0].details?.text).toMatch(/^broken\.json: \$: malformed JSON/);
  });
});
