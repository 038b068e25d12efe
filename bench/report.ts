// Writes the bench result as JSON (bench/results/<date>.json) and a short Markdown table (bench/results/latest.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ProjectRoot } from '../src/gateway.js';
import type { LoadResult } from './load.js';

export interface ScenarioResult {
  store: 'sqlite' | 'postgres';
  scenario: string;
  description: string;
  /** 'base' or 'dense' (more stored consents, same subjects). */
  density: 'base' | 'dense';
  gateway?: LoadResult;
  /** The same scenario with a single connection (latency without queueing). */
  oneConnection?: LoadResult;
  baseline?: LoadResult;
  /** Gateway throughput / bare Express throughput for the same response. */
  ratio?: number;
  failure?: string;
}

export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; os: string; note: string; loadAverageAtStart?: number; loadAverageAtEnd?: number };
  settings: { patients: number; seed: number; asOf: string; durationSeconds: number; connections: number };
  population: Record<string, { resources?: number; consents?: number; loadSeconds?: number; cached: boolean }>;
  peakRssMiB: Record<string, number>;
  /** In-process consent decision cost for the read subject at both densities. */
  consentCost: { base?: { medianMicros: number; rounds: number }; dense?: { medianMicros: number; rounds: number } };
  results: ScenarioResult[];
  targets: { name: string; met: boolean | undefined; measured: string }[];
}

export function machine(): BenchReport['machine'] {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
    note: `load generator (autocannon) and server share the machine's ${c.length} cores`,
    loadAverageAtEnd: Number(loadavg()[0].toFixed(2)),
  };
}

const f = (n: number | undefined, d = 0) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

export function markdown(r: BenchReport): string {
  const lines = [
    `Benchmark ${r.date}: ${r.settings.patients.toLocaleString('en')} patients` +
      ` (${Object.entries(r.population).map(([k, p]) => `${k}: ${p.resources?.toLocaleString('en') ?? '?'} resources, ${p.consents?.toLocaleString('en') ?? '?'} consents`).join('; ')}),` +
      ` ${r.settings.connections} connections, ${r.settings.durationSeconds} s per scenario.`,
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.os}; ${r.machine.note}` +
      `; 1-min load average ${r.machine.loadAverageAtStart ?? '?'} at start, ${r.machine.loadAverageAtEnd ?? '?'} at end (above ${r.machine.cores} means other work shared the CPUs).`,
    '',
    '| store | scenario | consents | req/s | bare Express req/s | ratio | p50 ms | p99 ms | p99 ms, 1 conn. | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.results.map((x) =>
      x.failure
        ? `| ${x.store} | ${x.scenario} | ${x.density} | failed: ${x.failure.replace(/\|/g, '/').slice(0, 120)} | | | | | | |`
        : `| ${x.store} | ${x.scenario} | ${x.density} | ${f(x.gateway?.requestsPerSecond)} | ${f(x.baseline?.requestsPerSecond)} | ${x.ratio === undefined ? '-' : `${(100 * x.ratio).toFixed(0)}%`} | ${f(x.gateway?.p50Ms, 1)} | ${f(x.gateway?.p99Ms, 1)} | ${f(x.oneConnection?.p99Ms, 1)} | ${x.gateway?.errors ?? '-'} |`,
    ),
    '',
    `Peak RSS: ${Object.entries(r.peakRssMiB).map(([k, v]) => `${k} ${v.toFixed(0)} MiB`).join(', ')}.`,
    '',
    '| SPEC 5 target | met | measured |',
    '|---|---|---|',
    ...r.targets.map((t) => `| ${t.name} | ${t.met === undefined ? 'n/a' : t.met ? 'yes' : 'NO'} | ${t.measured} |`),
  ];
  return `${lines.join('\n')}\n`;
}

export function writeReport(r: BenchReport): { json: string; md: string } {
  const dir = join(ProjectRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${r.date.replace(/[:]/g, '-')}.json`);
  const md = join(dir, 'latest.md');
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, markdown(r));
  return { json, md };
}
