import Database from 'better-sqlite3';
import { openSqliteDatabase } from './src/store/sqlite/sqlite-database.js';
import { createSqlResourceStore, migrateResourceStore } from './src/store/sql/sql-resource-store.js';
import { createSearchRegistry } from './src/search/registry.js';
import { parseSearch } from './src/search/parse.js';
const path = process.env.BENCH_DB ?? '/tmp/h1bench/bench.db';
const N = Number(process.argv[2] ?? 2000);
const db = openSqliteDatabase(path);
await migrateResourceStore(db);
const reg = createSearchRegistry();
const store = createSqlResourceStore(db, reg);
const policy = { forType: (t: string) => t === 'Observation' ? { kind: 'and', all: [{ kind: 'compartment', compartment: 'Patient', id: 'pX' }, { kind: 'not', cond: { kind: 'param', code: 'code', values: ['http://loinc.org|2339-0'] } }] } : { kind: 'true' } } as any;
function q(url: string) { const [t, qs] = url.split('?'); const o: Record<string,string[]> = {}; for (const [k, v] of new URLSearchParams(qs)) (o[k] ??= []).push(v); return parseSearch(t, o, reg, { strict: true }).query; }
const cases: Record<string, (p: string) => Promise<unknown>> = {
  'patient=': (p) => store.search(q(`Observation?patient=Patient/${p}`)),
  'patient+code+sort': (p) => store.search(q(`Observation?patient=${p}&code=http://loinc.org|8480-6&_sort=-date`)),
  'policy compartment': (p) => store.search(q(`Observation?patient=${p}&_sort=-date`), { forType: (t: string) => t === 'Observation' ? { kind: 'and', all: [{ kind: 'compartment', compartment: 'Patient', id: p }, { kind: 'not', cond: { kind: 'param', code: 'code', values: ['http://loinc.org|2339-0'] } }] } : { kind: 'true' } } as any),
  'chain identifier': (p) => store.search(q(`Observation?subject:Patient.identifier=urn:oid:1.2.246.21|hetu${p.slice(1)}`)),
  'read': (p) => store.read('Patient', p),
  'revinclude': (p) => store.search(q(`Patient?_id=${p}&_revinclude=Observation:subject`)),
};
for (const [name, fn] of Object.entries(cases)) {
  const times: number[] = [];
  for (let i = 0; i < 300; i++) { const p = `p${Math.floor(Math.random() * N)}`; const t = performance.now(); await fn(p); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  console.log(name.padEnd(20), 'p50', times[150].toFixed(2), 'p99', times[296].toFixed(2), 'max', times[299].toFixed(2));
}
const raw = new Database(path, { readonly: true });
for (const sqlText of [
 `EXPLAIN QUERY PLAN SELECT r.rid FROM resource r WHERE +r.resource_type = 'Observation' AND r.deleted = 0 AND r.rid IN (SELECT rid FROM compartment WHERE patient_id = 'p5') AND NOT (EXISTS (SELECT 1 FROM search_token x WHERE x.rid = r.rid AND x.code = 'code' AND x.value = '1')) ORDER BY r.rid LIMIT 20`,
 `EXPLAIN QUERY PLAN SELECT r.rid FROM resource r WHERE r.resource_type = 'Observation' AND r.deleted = 0 ORDER BY r.rid LIMIT 20`,
]) console.log(raw.prepare(sqlText).all().map((x: any) => x.detail).join('\n'), '\n--');
console.log(raw.prepare(`EXPLAIN QUERY PLAN SELECT r.rid, r.content FROM resource r WHERE r.resource_type = 'Observation' AND r.deleted = 0 AND r.rid IN (SELECT rid FROM search_reference WHERE code = 'patient' AND (target_type = 'Patient' AND target_id = 'p5')) ORDER BY r.rid LIMIT 20`).all().map((x: any) => x.detail).join('\n'));
