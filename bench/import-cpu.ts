// `npx tsx bench/import-cpu.ts FILE.ndjson`: CPU time per resource of validation and index extraction, in process and without a database, over a generated population.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { createResourceIndexer } from '../src/search/index-resource.js';
import { openStorage } from '../src/storage.js';
import { isValid } from '../src/validation/validator.js';
import { machineSpeedMs } from './machine-speed.js';

const file = process.argv[2];
if (!file) {
  console.log('usage: npx tsx bench/import-cpu.ts FILE.ndjson   (write one with npm run generate -- --patients 300 --out FILE.ndjson)');
  process.exit(2);
}
const resources = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Resource);
const dir = mkdtempSync(join(tmpdir(), 'import-cpu-'));
// The same validator and search parameters as the gateway and `npm run import` (the database is opened, never written).
const storage = await openStorage({ dataDir: dir, databaseUrl: undefined });
const indexer = createResourceIndexer(storage.registry);
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// Warm-up, so the figures are the steady state of a long import rather than the JIT's first passes.
for (const r of resources.slice(0, 200)) {
  storage.validator.validate(r);
  indexer.index(r);
}
const byType = new Map<string, { n: number; validate: number; index: number }>();
let invalid = 0;
for (const r of resources) {
  const a = cpuMs();
  if (!isValid(storage.validator.validate(r))) invalid++;
  const b = cpuMs();
  indexer.index(r);
  const c = cpuMs();
  const e = byType.get(r.resourceType) ?? { n: 0, validate: 0, index: 0 };
  e.n++;
  e.validate += b - a;
  e.index += c - b;
  byType.set(r.resourceType, e);
}
const sum = [...byType.values()].reduce((s, e) => ({ validate: s.validate + e.validate, index: s.index + e.index }), { validate: 0, index: 0 });
console.log(`machine speed (bench/machine-speed.ts, lower is faster): ${machineSpeedMs()} ms`);
console.log(`${resources.length} resources (${invalid} invalid): validation ${(sum.validate / resources.length).toFixed(3)} ms CPU each, index extraction ${(sum.index / resources.length).toFixed(3)} ms`);
for (const [type, e] of [...byType].sort((x, y) => y[1].n - x[1].n)) {
  console.log(`  ${type.padEnd(20)} ${String(e.n).padStart(6)}  validation ${(e.validate / e.n).toFixed(3)} ms  index ${(e.index / e.n).toFixed(3)} ms`);
}
await storage.db.close();
rmSync(dir, { recursive: true, force: true });
