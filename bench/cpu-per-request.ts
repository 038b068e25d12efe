// `npx tsx bench/cpu-per-request.ts`: server CPU milliseconds per request for chosen scenarios, a figure that shared cores disturb far less than req/s.
// SQLite (a copy of the bench's cached population) or, with PG=<url>, PostgreSQL (the bench's schema for that population; the
// PostgreSQL server's own CPU, all its processes, is reported per request too). Env: P (patients, 1000), ONLY (scenario
// names, read), SECS (5), EXTRA (JSON of extra server env), BASELINE=1 (then the bare Express baseline serving the
// gateway's captured answers is measured the same way).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drive } from './load.js';
import { machineSpeedMs } from './machine-speed.js';
import { cacheDir, ensureSqlitePopulation } from './population.js';
import { ensurePostgresPopulation } from './postgres-population.js';
import { pickSubjects, scenarios } from './scenarios.js';
import { startServer } from './server-process.js';
import { pickTargets } from './targets.js';

const spec = { seed: 42, patients: Number(process.env.P ?? 1000), asOf: '2025-06-01' };
const only = (process.env.ONLY ?? 'read').split(',');
const secs = Number(process.env.SECS ?? 5);
// The whole process (every thread), and its main thread alone (where requests are served).
const cpuTicks = (pid: number, file = `/proc/${pid}/stat`) => { const f = readFileSync(file, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
/**
 * CPU ticks of every PostgreSQL server process (its backends do a request's SQL work on the same cores), with the
 * children each has reaped, so a backend that ended during the run still counts. Other clients' work counts too.
 */
const postgresTicks = () => {
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      sum += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return sum;
};
console.log(`machine speed (bench/machine-speed.ts, lower is faster): ${machineSpeedMs()} ms`);
const pgUrl = process.env.PG;
const sqlite = await ensureSqlitePopulation(spec, (m) => console.log(m));
const targets = pickTargets(spec);
const subjects = pickSubjects(targets);
const list = scenarios(subjects).filter((s) => only.includes(s.name));
const copy = join(cacheDir(spec), 'run-cpu');
rmSync(copy, { recursive: true, force: true });
mkdirSync(copy);
copyFileSync(sqlite.file, join(copy, 'gateway.db'));
const postgres = pgUrl ? await ensurePostgresPopulation(spec, pgUrl, (m) => console.log(m)) : undefined;
const env = { DEV_ISSUER: '1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', DEMO_DATA: '0', DATABASE_URL: postgres?.url ?? '', DATA_DIR: copy, ...(process.env.EXTRA ? JSON.parse(process.env.EXTRA) : {}) };
const server = await startServer('src/main.ts', env, '/fhir/metadata');
const captured: Array<{ method: string; path: string; status: number; contentType: string; body: string }> = [];
const report = (name: string, r: Awaited<ReturnType<typeof drive>>, t: number, m: number, pgTicks?: number) =>
  console.log(`${name}: ${r.requests} req, ${r.requestsPerSecond.toFixed(0)} req/s, errors ${r.errors}, p99 ${r.p99Ms} ms, max ${r.maxMs} ms, server CPU ${((t * 10) / r.requests).toFixed(2)} ms/req (main thread ${((m * 10) / r.requests).toFixed(2)})${pgTicks === undefined ? '' : `, PostgreSQL CPU ${((pgTicks * 10) / r.requests).toFixed(2)} ms/req`}`);
try {
  for (const sc of list) {
    const res = await fetch(`${server.baseUrl}/auth/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sc.claims) });
    const token = ((await res.json()) as { access_token: string }).access_token;
    const headers = { authorization: `Bearer ${token}`, accept: 'application/fhir+json', ...(sc.body ? { 'content-type': 'application/fhir+json' } : {}) };
    const p = await fetch(`${server.baseUrl}${sc.path}`, { method: sc.method, headers, body: sc.body });
    const body = await p.text();
    if (p.status !== sc.expect) throw new Error(`${sc.name} ${p.status} ${body}`);
    captured.push({ method: sc.method, path: sc.path, status: p.status, contentType: p.headers.get('content-type') ?? 'application/fhir+json', body });
    await drive({ url: `${server.baseUrl}${sc.path}`, method: sc.method, headers, body: sc.body, duration: 2, connections: 10, expect: sc.expect });
    const t0 = cpuTicks(server.pid);
    const m0 = cpuTicks(server.pid, `/proc/${server.pid}/task/${server.pid}/stat`);
    const p0 = postgres ? postgresTicks() : 0;
    const r = await drive({ url: `${server.baseUrl}${sc.path}`, method: sc.method, headers, body: sc.body, duration: secs, connections: 10, expect: sc.expect });
    const t1 = cpuTicks(server.pid);
    const m1 = cpuTicks(server.pid, `/proc/${server.pid}/task/${server.pid}/stat`);
    report(sc.name, r, t1 - t0, m1 - m0, postgres ? postgresTicks() - p0 : undefined);
  }
} finally {
  await server.stop();
}
if (process.env.BASELINE) {
  const file = join(copy, 'baseline-bodies.json');
  writeFileSync(file, JSON.stringify(captured));
  const bare = await startServer('bench/baseline-server.ts', { BASELINE_BODIES: file }, '/ready', 60_000);
  try {
    for (const sc of list) {
      const headers = { authorization: 'Bearer x', accept: 'application/fhir+json', ...(sc.body ? { 'content-type': 'application/fhir+json' } : {}) };
      await drive({ url: `${bare.baseUrl}${sc.path}`, method: sc.method, headers, body: sc.body, duration: 2, connections: 10, expect: sc.expect });
      const t0 = cpuTicks(bare.pid);
      const m0 = cpuTicks(bare.pid, `/proc/${bare.pid}/task/${bare.pid}/stat`);
      const r = await drive({ url: `${bare.baseUrl}${sc.path}`, method: sc.method, headers, body: sc.body, duration: secs, connections: 10, expect: sc.expect });
      report(`bare Express ${sc.name}`, r, cpuTicks(bare.pid) - t0, cpuTicks(bare.pid, `/proc/${bare.pid}/task/${bare.pid}/stat`) - m0);
    }
  } finally {
    await bare.stop();
  }
}
