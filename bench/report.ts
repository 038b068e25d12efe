// Writes the bench result as JSON (bench/results/<date>.json) and a short Markdown table (bench/results/latest.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ProjectRoot } from '../src/gateway.js';
import type { LoadResult } from './load.js';
import type { PeerResult } from './peer-medplum.js';
import type { MemoryCheck, TargetRow } from './spec-targets.js';

export interface ScenarioResult {
  store: 'sqlite' | 'postgres';
  scenario: string;
  description: string;
  /** 'base' or 'dense' (more stored consents, same subjects). */
  density: 'base' | 'dense';
  /** Gateway processes (WORKERS); absent for one. */
  workers?: number;
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
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    node: string;
    os: string;
    note: string;
    loadAverageAtStart?: number;
    loadAverageAtEnd?: number;
    /** bench/machine-speed.ts before the first scenario and after the last: lower is a faster machine. */
    speedMs?: { atStart: number; atEnd: number };
  };
  settings: { patients: number; seed: number; asOf: string; durationSeconds: number; connections: number; rssDurationSeconds?: number; workers?: number };
  population: Record<string, { resources?: number; consents?: number; loadSeconds?: number; cached: boolean }>;
  peakRssMiB: Record<string, number>;
  /** In-process consent decision cost for the read subject at both densities. */
  consentCost: { base?: { medianMicros: number; rounds: number }; dense?: { medianMicros: number; rounds: number } };
  results: ScenarioResult[];
  /** @medplum/fhir-router over its in-memory repository: the same requests, no consent, no audit. */
  peer?: PeerResult[];
  memory?: MemoryCheck[];
  targets: TargetRow[];
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

/** Runs on other days are compared after scaling by this figure, not as they stand (bench/README.md, 2026-12-03). */
export const speedLine = (speed: { atStart: number; atEnd: number } | undefined): string =>
  speed ? ` Machine speed (bench/machine-speed.ts, lower is faster): ${speed.atStart} ms at start, ${speed.atEnd} ms at end.` : '';

const f = (n: number | undefined, d = 0) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

const ratio = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(0)}%`);
const cell = (t: string) => t.replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 140);

function resultRow(x: ScenarioResult): string {
  const head = `| ${x.store} | ${x.scenario} | ${x.density} | ${x.workers ?? 1} |`;
  if (x.failure) return `${head} failed: ${cell(x.failure)} | | | | | | |`;
  return `${head} ${f(x.gateway?.requestsPerSecond)} | ${f(x.baseline?.requestsPerSecond)} | ${ratio(x.ratio)} | ${f(x.gateway?.p50Ms, 1)} | ${f(x.gateway?.p99Ms, 1)} | ${f(x.oneConnection?.p99Ms, 1)} | ${x.gateway?.errors ?? '-'} |`;
}

/** Each WORKERS=n row against the same store's one-process row: does the second core help? */
function workerLines(r: BenchReport): string[] {
  const pairs = r.results
    .filter((x) => (x.workers ?? 1) > 1 && x.gateway)
    .map((x) => [x, r.results.find((y) => y.store === x.store && y.scenario === x.scenario && y.density === x.density && (y.workers ?? 1) === 1)] as const)
    .filter(([, one]) => one?.gateway);
  if (!pairs.length) return [];
  return [
    '',
    `Both cores: ${pairs.map(([x, one]) => `${x.store} ${x.scenario} ${x.workers} workers x${(x.gateway!.requestsPerSecond / one!.gateway!.requestsPerSecond).toFixed(2)} of 1 process`).join(', ')}` +
      ` (the load generator runs on the same ${r.machine.cores} cores).`,
  ];
}

function peerLines(r: BenchReport): string[] {
  if (!r.peer?.length) return [];
  return [
    '',
    'Reference peer: `@medplum/fhir-router` over its in-memory repository (only the scenario subjects\' resources loaded), behind Express,' +
      ' answering the same requests. **No consent, no audit, no authentication**: an upper bound for a FHIR server in Node, not a like-for-like comparison.',
    '',
    '| scenario | peer req/s | bare Express req/s | ratio | p50 ms | p99 ms | errors | differences |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...r.peer.map((p) => {
      const b = r.results.find((x) => x.scenario === p.scenario && x.baseline)?.baseline;
      return p.failure
        ? `| ${p.scenario} | cannot answer: ${cell(p.failure)} | | | | | | |`
        : `| ${p.scenario} | ${f(p.result?.requestsPerSecond)} | ${f(b?.requestsPerSecond)} | ${ratio(p.ratio)} | ${f(p.result?.p50Ms, 1)} | ${f(p.result?.p99Ms, 1)} | ${p.result?.errors ?? '-'} | ${p.notes?.join('; ') || '-'} |`;
    }),
  ];
}

function memoryLines(r: BenchReport): string[] {
  if (!r.memory?.length) return [];
  return [
    '',
    '| memory run | scenario | s | VmRSS after warm-up MiB | VmRSS at end MiB | end / warm-up | max MiB | requests |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...r.memory.map((m) =>
      m.failure && m.endMiB === undefined
        ? `| ${m.store} | ${m.scenario} | ${m.seconds} | failed: ${cell(m.failure)} | | | | |`
        : `| ${m.store} | ${m.scenario} | ${m.seconds} | ${f(m.afterWarmupMiB)} | ${f(m.endMiB)} | ${m.afterWarmupMiB && m.endMiB ? `x${(m.endMiB / m.afterWarmupMiB).toFixed(2)}` : '-'} | ${f(m.maxMiB)} | ${m.requests ?? '-'} |`,
    ),
  ];
}

export function markdown(r: BenchReport): string {
  const lines = [
    `Benchmark ${r.date}: ${r.settings.patients.toLocaleString('en')} patients` +
      ` (${Object.entries(r.population).map(([k, p]) => `${k}: ${p.resources?.toLocaleString('en') ?? '?'} resources, ${p.consents?.toLocaleString('en') ?? '?'} consents`).join('; ')}),` +
      ` ${r.settings.connections} connections, ${r.settings.durationSeconds} s per scenario.`,
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.os}; ${r.machine.note}` +
      `; 1-min load average ${r.machine.loadAverageAtStart ?? '?'} at start, ${r.machine.loadAverageAtEnd ?? '?'} at end (above ${r.machine.cores} means other work shared the CPUs).` +
      speedLine(r.machine.speedMs),
    '',
    '| store | scenario | consents | workers | req/s | bare Express req/s | ratio | p50 ms | p99 ms | p99 ms, 1 conn. | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.results.map(resultRow),
    ...workerLines(r),
    ...peerLines(r),
    ...memoryLines(r),
    '',
    `Peak RSS: ${Object.entries(r.peakRssMiB).map(([k, v]) => `${k} ${v.toFixed(0)} MiB`).join(', ')}.`,
    '',
    '| target (issue 12, SPEC 5) | store | met | measured |',
    '|---|---|---|---|',
    ...r.targets.map((t) => `| ${t.target} | ${t.store} | ${t.met === undefined ? 'not measured' : t.met ? 'met' : '**not met**'} | ${t.measured} |`),
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
