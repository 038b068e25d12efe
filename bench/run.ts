// `npm run bench`: loads (or reuses) a synthetic population, drives the gateway and a bare Express baseline with autocannon, writes the report.
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ProjectRoot } from '../src/gateway.js';
import { openSqliteDatabase } from '../src/store/sqlite/sqlite-database.js';
import { createBenchIssuer, type BenchIssuer } from './bench-issuer.js';
import { measureConsentCost } from './consent-cost.js';
import { denseConsents } from './dense-consents.js';
import { runImportBench, writeImportReport } from './import.js';
import { drive, type LoadResult } from './load.js';
import { runMemoryCheck } from './memory-run.js';
import { runMedplumPeer } from './peer-medplum.js';
import { ensurePostgresPopulation } from './postgres-population.js';
import { bulkLoad, cacheDir, ensureSqlitePopulation, type LoadStats, type PopulationSpec } from './population.js';
import { machineSpeedMs } from './machine-speed.js';
import { machine, markdown, writeReport, type BenchReport, type ScenarioResult } from './report.js';
import { DensityScenarios, LatencyScenarios, pickSubjects, requestHeaders, scenarios, WorkerScenarios, type Scenario } from './scenarios.js';
import { startServer, type ServerProcess } from './server-process.js';
import { evaluateTargets, type MemoryCheck } from './spec-targets.js';
import { pickTargets } from './targets.js';

const { values: args } = parseArgs({
  options: {
    patients: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'dense-per-patient': { type: 'string', default: '4' },
    'as-of': { type: 'string', default: '2025-06-01' },
    only: { type: 'string' },
    'no-postgres': { type: 'boolean', default: false },
    'no-dense': { type: 'boolean', default: false },
    /** Keep the run's database copies (bench/.cache/<key>/run-*) for inspection. */
    keep: { type: 'boolean', default: false },
    /** Only build (or check) the cached population and exit. */
    prepare: { type: 'boolean', default: false },
    /** Only the import benchmark (npm run import of a generated population); --patients defaults to 5000 then. */
    import: { type: 'boolean', default: false },
    'batch-size': { type: 'string' },
    /** Seconds of the memory-bounded run of the read scenario, per store (0 skips it). */
    'rss-duration': { type: 'string', default: '60' },
    /** Seconds of load before the memory run's first VmRSS sample. */
    'rss-warmup': { type: 'string', default: '10' },
    /** Gateway processes (WORKERS) of the extra read/search pass; 1 skips it. */
    workers: { type: 'string', default: '2' },
    /** Skip the @medplum/fhir-router reference peer. */
    'no-peer': { type: 'boolean', default: false },
  },
});

const spec: PopulationSpec = { seed: Number(args.seed), patients: Number(args.patients), asOf: args['as-of']! };
const duration = Number(args.duration);
const connections = Number(args.connections);
const warmup = Number(args.warmup);
const rssDuration = Number(args['rss-duration']);
const rssWarmup = Number(args['rss-warmup']);
const workers = Number(args.workers);
const only = args.only ? new Set(args.only.split(',')) : undefined;
const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

interface Captured {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

/** Set in main(): the key the bench signs tokens with, trusted by every gateway it starts. */
let issuer: BenchIssuer;

function gatewayEnv(extra: Record<string, string>): Record<string, string> {
  // No request logging and no rate limit: the bench measures the request path, not the console.
  return { DEV_ISSUER: '', ...issuer.env, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', DEMO_DATA: '0', DATABASE_URL: '', WORKERS: '1', ...extra };
}

const headersFor = requestHeaders;

/** One request first: checks the scenario answers what it should, and captures the JSON the baseline will serve. */
async function probe(baseUrl: string, sc: Scenario, token: string): Promise<Captured> {
  const res = await fetch(`${baseUrl}${sc.path}`, { method: sc.method, headers: headersFor(sc, token), body: sc.body });
  const body = await res.text();
  if (res.status !== sc.expect) throw new Error(`${sc.method} ${sc.path} answered ${res.status}, expected ${sc.expect}: ${body.slice(0, 300)}`);
  return { method: sc.method, path: sc.path, status: res.status, contentType: res.headers.get('content-type') ?? 'application/fhir+json', body };
}

interface StoreRun {
  store: 'sqlite' | 'postgres';
  env: Record<string, string>;
  /** Gateway processes (node:cluster workers); 1 when absent. */
  workers?: number;
}

async function runGateway(run: StoreRun, density: 'base' | 'dense', list: Scenario[], captured: Map<string, Captured>, rss: Record<string, number>): Promise<ScenarioResult[]> {
  const n = run.workers ?? 1;
  log(`starting gateway (${run.store}, ${density} consents${n > 1 ? `, ${n} workers` : ''})`);
  const server = await startServer('src/main.ts', gatewayEnv({ ...run.env, WORKERS: String(n) }), '/fhir/metadata');
  const label = `gateway ${run.store} ${density}${n > 1 ? ` ${n} workers (sum of processes)` : ''}`;
  // One process: its peak (VmHWM). Several: the sum of the primary's and the workers' current VmRSS, at its highest.
  const sample = () => {
    rss[label] = Math.max(rss[label] ?? 0, n > 1 ? server.treeRssMiB() : server.peakRssMiB());
  };
  const out: ScenarioResult[] = [];
  try {
    for (const sc of list) {
      const r: ScenarioResult = { store: run.store, scenario: sc.name, description: sc.description, density, ...(n > 1 ? { workers: n } : {}) };
      out.push(r);
      try {
        if (n > 1) await server.waitWorkers(n, '/fhir/metadata');
        const token = await issuer.mint(sc.claims);
        const cap = await probe(server.baseUrl, sc, token);
        if (!captured.has(sc.name)) captured.set(sc.name, cap);
        // Warm-up (not measured): JIT, statement caches and the OS page cache settle first.
        await drive({ url: `${server.baseUrl}${sc.path}`, method: sc.method, headers: headersFor(sc, token), body: sc.body, duration: warmup, connections, expect: sc.expect });
        log(`  ${sc.name}: ${duration} s x ${connections} connections`);
        r.gateway = await drive({ url: `${server.baseUrl}${sc.path}`, method: sc.method, headers: headersFor(sc, token), body: sc.body, duration, connections, expect: sc.expect, onTick: sample });
        log(`    ${r.gateway.requestsPerSecond.toFixed(0)} req/s, p50 ${r.gateway.p50Ms} ms, p99 ${r.gateway.p99Ms} ms, errors ${r.gateway.errors}`);
        if (n === 1 && (LatencyScenarios as readonly string[]).includes(sc.name)) {
          // One connection: the request's own latency, without the queueing of ten connections on two shared cores.
          r.oneConnection = await drive({ url: `${server.baseUrl}${sc.path}`, method: sc.method, headers: headersFor(sc, token), body: sc.body, duration: Math.max(2, Math.round(duration / 2)), connections: 1, expect: sc.expect, onTick: sample });
          log(`    1 connection: ${r.oneConnection.requestsPerSecond.toFixed(0)} req/s, p50 ${r.oneConnection.p50Ms} ms, p99 ${r.oneConnection.p99Ms} ms`);
        }
      } catch (err) {
        r.failure = String((err as Error).message ?? err);
        log(`    FAILED: ${r.failure}`);
      }
    }
  } finally {
    sample();
    await server.stop();
  }
  return out;
}

async function runBaseline(list: Scenario[], captured: Map<string, Captured>, rss: Record<string, number>): Promise<Map<string, LoadResult>> {
  const file = join(cacheDir(spec), 'baseline-bodies.json');
  writeFileSync(file, JSON.stringify([...captured.values()]));
  log('starting bare Express baseline');
  const server: ServerProcess = await startServer('bench/baseline-server.ts', { BASELINE_BODIES: file }, '/ready', 60_000);
  const out = new Map<string, LoadResult>();
  const sample = () => {
    rss['bare Express'] = Math.max(rss['bare Express'] ?? 0, server.peakRssMiB());
  };
  try {
    for (const sc of list) {
      const cap = captured.get(sc.name);
      if (!cap) continue;
      log(`  baseline ${sc.name}`);
      await drive({ url: `${server.baseUrl}${sc.path}`, method: sc.method, headers: headersFor(sc, 'x'), body: sc.body, duration: warmup, connections, expect: cap.status });
      const r = await drive({ url: `${server.baseUrl}${sc.path}`, method: sc.method, headers: headersFor(sc, 'x'), body: sc.body, duration, connections, expect: cap.status, onTick: sample });
      log(`    ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      out.set(sc.name, r);
    }
  } finally {
    sample();
    await server.stop();
  }
  return out;
}

/** A private copy of a cached database, so the run's own writes (audit, creates) never touch the cache. */
function runCopy(file: string, name: string): string {
  const dir = join(cacheDir(spec), `run-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, 'gateway.db'));
  return dir;
}

async function ensureDense(baseFile: string, skip: Set<string>, perPatient: number): Promise<{ file: string; built?: LoadStats }> {
  const file = join(cacheDir(spec), `population-dense${perPatient}.db`);
  if (existsSync(file)) return { file };
  const tmp = join(cacheDir(spec), 'building-dense.db');
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  copyFileSync(baseFile, tmp);
  const db = openSqliteDatabase(tmp);
  const built = await bulkLoad(db, denseConsents(spec.patients, perPatient, skip));
  await db.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.close();
  const { renameSync } = await import('node:fs');
  renameSync(tmp, file);
  return { file, built };
}

async function countConsents(file: string): Promise<{ resources: number; consents: number }> {
  const db = openSqliteDatabase(file);
  try {
    const [a] = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM resource WHERE resource_type NOT IN ('StructureDefinition','ValueSet','CodeSystem','ConceptMap','SearchParameter','OperationDefinition','AuditEvent')");
    const [c] = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM resource WHERE resource_type = 'Consent'");
    return { resources: a.n, consents: c.n };
  } finally {
    await db.close();
  }
}

/**
 * A kept schema starts each run as loaded, as the SQLite copy does: the resources earlier runs created (rids past the
 * marker's) and their audit trail are removed, so one run's numbers do not include the growth of the ones before.
 * The audit tables are append-only to everyone (triggers refuse DELETE and TRUNCATE), so in this benchmark-owned
 * schema they are dropped and created again empty.
 */
async function main(): Promise<void> {
  if (args.import) {
    const patients = process.argv.some((a) => a.startsWith('--patients')) ? spec.patients : 5000;
    const opts = { patients, seed: spec.seed, asOf: spec.asOf, batchSize: args['batch-size'] ? Number(args['batch-size']) : undefined, postgres: !args['no-postgres'], log };
    console.log(writeImportReport(await runImportBench(opts), opts));
    return;
  }
  const started = new Date();
  const loadAtStart = Number(loadavg()[0].toFixed(2));
  const speedAtStart = machineSpeedMs();
  log(`population: seed ${spec.seed}, ${spec.patients} patients (cache ${cacheDir(spec)})`);
  const sqlite = await ensureSqlitePopulation(spec, log);
  if (sqlite.built) log(`  built: ${sqlite.built.resources} resources in ${sqlite.built.seconds.toFixed(0)} s`);
  if (args.prepare) return;
  const population: BenchReport['population'] = { sqlite: { ...(await countConsents(sqlite.file)), loadSeconds: sqlite.built?.seconds, cached: !sqlite.built } };

  const targets = pickTargets(spec);
  const subjects = pickSubjects(targets);
  log(`subjects: ${Object.entries(subjects.byScenario).map(([k, p]) => `${k} ${p.id}`).join(', ')}, wellness ${subjects.wellness?.id ?? 'none'}`);
  const list = scenarios(subjects).filter((s) => !only || only.has(s.name));
  const captured = new Map<string, Captured>();
  const rss: Record<string, number> = {};
  const results: ScenarioResult[] = [];

  const readScenario = list.find((x) => x.name === 'read') ?? scenarios(subjects)[0];
  const readDoc = subjects.byScenario.read.otherRegisterDocuments[0];
  const consentCost: BenchReport['consentCost'] = {};
  const memory: MemoryCheck[] = [];
  issuer = await createBenchIssuer(cacheDir(spec));
  const workerList = list.filter((s) => (WorkerScenarios as readonly string[]).includes(s.name));

  /** The extra passes every store gets: the memory-bounded run of the read scenario, then WORKERS=n. */
  async function extraPasses(run: StoreRun, freshEnv: () => Record<string, string>): Promise<void> {
    if (rssDuration > 0) {
      memory.push(await runMemoryCheck({ store: run.store, env: gatewayEnv(freshEnv()), scenario: readScenario, mint: issuer.mint, seconds: rssDuration, warmup: rssWarmup, connections, log }));
    }
    if (workers > 1 && workerList.length) results.push(...(await runGateway({ ...run, env: freshEnv(), workers }, 'base', workerList, captured, rss)));
  }

  if (!args['no-dense']) {
    consentCost.base = await measureConsentCost(sqlite.file, readScenario.claims, readDoc);
    log(`consent decision (in process): ${consentCost.base.medianMicros} us median`);
  }
  results.push(...(await runGateway({ store: 'sqlite', env: { DATA_DIR: runCopy(sqlite.file, 'sqlite') } }, 'base', list, captured, rss)));
  // Each extra pass starts from the cached population again, not from what the previous pass wrote.
  await extraPasses({ store: 'sqlite', env: {} }, () => ({ DATA_DIR: runCopy(sqlite.file, 'sqlite') }));

  if (!args['no-dense']) {
    const perPatient = Number(args['dense-per-patient']);
    const skip = new Set([...targets.permitted, ...targets.wellness].map((p) => p.id));
    log(`second consent density: +${perPatient} active consents per other patient`);
    const dense = await ensureDense(sqlite.file, skip, perPatient);
    consentCost.dense = await measureConsentCost(dense.file, readScenario.claims, readDoc);
    log(`consent decision (in process, dense): ${consentCost.dense.medianMicros} us median`);
    population['sqlite dense'] = { ...(await countConsents(dense.file)), loadSeconds: dense.built?.seconds, cached: !dense.built };
    const denseList = list.filter((s) => (DensityScenarios as readonly string[]).includes(s.name));
    results.push(...(await runGateway({ store: 'sqlite', env: { DATA_DIR: runCopy(dense.file, 'dense') } }, 'dense', denseList, new Map(), rss)));
  }

  const pgUrl = process.env.DATABASE_URL;
  if (pgUrl && !args['no-postgres']) {
    try {
      const p = await ensurePostgresPopulation(spec, pgUrl, log);
      population.postgres = { loadSeconds: p.built?.seconds, resources: p.built?.resources, consents: p.built?.consents, cached: !p.built };
      results.push(...(await runGateway({ store: 'postgres', env: { DATABASE_URL: p.url } }, 'base', list, captured, rss)));
      await extraPasses({ store: 'postgres', env: {} }, () => ({ DATABASE_URL: p.url }));
    } catch (err) {
      log(`PostgreSQL run failed: ${(err as Error).message}`);
      results.push({ store: 'postgres', scenario: '*', description: 'PostgreSQL run', density: 'base', failure: (err as Error).message });
    }
  }

  const baseline = await runBaseline(list, captured, rss);
  for (const r of results) {
    r.baseline = baseline.get(r.scenario);
    if (r.gateway && r.baseline) r.ratio = r.gateway.requestsPerSecond / r.baseline.requestsPerSecond;
  }

  const peer = args['no-peer']
    ? []
    : await runMedplumPeer({
        spec, subjects, list, dir: cacheDir(spec), warmup, duration, connections, log,
        onRss: (mib) => {
          rss['@medplum/fhir-router peer'] = Math.max(rss['@medplum/fhir-router peer'] ?? 0, mib);
        },
      });
  for (const r of peer) {
    const b = baseline.get(r.scenario);
    if (r.result && b) r.ratio = r.result.requestsPerSecond / b.requestsPerSecond;
  }

  const report: BenchReport = {
    date: started.toISOString().slice(0, 19) + 'Z',
    machine: { ...machine(), loadAverageAtStart: loadAtStart, speedMs: { atStart: speedAtStart, atEnd: machineSpeedMs() } },
    settings: { patients: spec.patients, seed: spec.seed, asOf: spec.asOf, durationSeconds: duration, connections, rssDurationSeconds: rssDuration, workers },
    population,
    peakRssMiB: rss,
    consentCost,
    results,
    peer,
    memory,
    targets: evaluateTargets({
      results,
      connections,
      resources: { sqlite: population.sqlite?.resources, postgres: population.postgres?.resources ?? population.sqlite?.resources },
      consentCost: { base: consentCost.base?.medianMicros, dense: consentCost.dense?.medianMicros, baseConsents: population.sqlite?.consents, denseConsents: population['sqlite dense']?.consents },
      memory,
    }),
  };
  const files = writeReport(report);
  console.log(`\n${markdown(report)}`);
  log(`wrote ${files.json} and ${files.md}`);
  if (!args.keep) for (const d of ['run-sqlite', 'run-dense']) rmSync(join(cacheDir(spec), d), { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
void ProjectRoot;
