// `npm run bench -- --import`: imports a generated population with `npm run import` (child process) on SQLite and PostgreSQL; reports resources/s and peak RSS.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { writePopulation } from '../src/cli/generate.js';
import { ProjectRoot } from '../src/storage.js';
import { machineSpeedMs } from './machine-speed.js';
import { speedLine } from './report.js';

export interface ImportBenchOptions {
  patients: number;
  seed: number;
  asOf: string;
  batchSize?: number;
  postgres: boolean;
  log(msg: string): void;
}

interface ImportRun {
  store: 'sqlite' | 'postgres';
  pass: 'first import' | 're-import (unchanged)';
  resources: number;
  /** Wall time of the child process, start-up (profiles, validator) included. */
  seconds: number;
  /** The import's own time and rate, from its summary line (start-up excluded). */
  importSeconds: number;
  resourcesPerSecond: number;
  /** The import process's CPU time per resource (user + system), far less sensitive to a busy machine than the rate. */
  cpuMsPerResource: number;
  peakRssMiB: number;
  summary: string;
}

export interface ImportBenchResult {
  runs: ImportRun[];
  /** bench/machine-speed.ts before the first import and after the last. */
  speedMs: { atStart: number; atEnd: number };
}

/** Targets from issue 16, for the record next to what was measured. */
const Targets = { sqlite: 5000, postgres: 2000 } as const;

function importOnce(file: string, env: Record<string, string>, batchSize?: number): Promise<{ summary: string; seconds: number; importSeconds: number; rate: number; cpuMs: number; peakRssMiB: number }> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const args = ['--import', 'tsx', join(ProjectRoot, 'src/cli/import.ts'), ...(batchSize ? ['--batch-size', String(batchSize)] : []), file];
    const child = spawn(process.execPath, args, { cwd: ProjectRoot, env: { ...process.env, ...env, IMPORT_OPERATOR: 'bench' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      const summary = out.trimEnd().split('\n').at(-1) ?? '';
      if (code !== 0) return fail(new Error(`import exited ${code}: ${out.slice(-2000)}`));
      const rss = /peak RSS (\d+) MB/.exec(summary);
      const own = /; ([\d.]+) s, (\d+) resources\/s;/.exec(summary);
      const cpu = /CPU ([\d.]+) ms per resource/.exec(summary);
      done({ summary, seconds: (performance.now() - t0) / 1000, importSeconds: own ? Number(own[1]) : NaN, rate: own ? Number(own[2]) : NaN, cpuMs: cpu ? Number(cpu[1]) : NaN, peakRssMiB: rss ? Number(rss[1]) : 0 });
    });
  });
}

async function schemaUrl(base: string, schema: string): Promise<string> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  return `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

async function dropSchema(base: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}

export async function runImportBench(opts: ImportBenchOptions): Promise<ImportBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-import-'));
  const runs: ImportRun[] = [];
  const speedAtStart = machineSpeedMs();
  try {
    const file = join(dir, 'population.ndjson');
    const resources = await writePopulation({ patients: opts.patients, out: file, seed: opts.seed, asOf: opts.asOf });
    opts.log(`import: ${resources} resources for ${opts.patients} patients in ${file}`);
    const stores: Array<{ store: 'sqlite' | 'postgres'; env: Record<string, string>; cleanup(): Promise<void> }> = [];
    const dataDir = join(dir, 'sqlite');
    mkdirSync(dataDir);
    stores.push({ store: 'sqlite', env: { DATA_DIR: dataDir, DATABASE_URL: '' }, cleanup: async () => undefined });
    const base = process.env.DATABASE_URL;
    if (opts.postgres && base) {
      const schema = `bench_import_${process.pid}`;
      stores.push({ store: 'postgres', env: { DATABASE_URL: await schemaUrl(base, schema) }, cleanup: () => dropSchema(base, schema) });
    }
    for (const s of stores) {
      try {
        for (const pass of ['first import', 're-import (unchanged)'] as const) {
          opts.log(`import: ${s.store}, ${pass}`);
          const r = await importOnce(file, s.env, opts.batchSize);
          runs.push({ store: s.store, pass, resources, seconds: r.seconds, importSeconds: r.importSeconds, resourcesPerSecond: r.rate, cpuMsPerResource: r.cpuMs, peakRssMiB: r.peakRssMiB, summary: r.summary });
          opts.log(`  ${r.summary}`);
        }
      } finally {
        await s.cleanup();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { runs, speedMs: { atStart: speedAtStart, atEnd: machineSpeedMs() } };
}

export function importMarkdown({ runs, speedMs }: ImportBenchResult, opts: Pick<ImportBenchOptions, 'patients' | 'seed'>): string {
  const lines = [
    `## Import (${opts.patients} patients, seed ${opts.seed}; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores at the end)`,
    '',
    '| store | pass | resources | import s | resources/s | target | CPU ms per resource | process wall s (with start-up) | peak RSS |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.store} | ${r.pass} | ${r.resources} | ${r.importSeconds.toFixed(1)} | ${Math.round(r.resourcesPerSecond)} | ${r.pass === 'first import' ? Targets[r.store] : ''} | ${r.cpuMsPerResource.toFixed(2)} | ${r.seconds.toFixed(1)} | ${r.peakRssMiB} MiB |`,
    ),
    '',
    speedLine(speedMs).trim(),
  ];
  return `${lines.join('\n')}\n`;
}

export function writeImportReport(result: ImportBenchResult, opts: Pick<ImportBenchOptions, 'patients' | 'seed'>): string {
  const dir = join(ProjectRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const md = importMarkdown(result, opts);
  writeFileSync(join(dir, 'import-latest.md'), md);
  writeFileSync(join(dir, `import-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json`), JSON.stringify({ settings: opts, ...result }, null, 2));
  return md;
}
