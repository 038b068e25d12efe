// Drives the reference peer (@medplum/fhir-router in memory, bench/peer-medplum-server.ts) through the gateway's scenarios.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { generatePatient } from '../src/kanta/generator.js';
import { drive, type LoadResult } from './load.js';
import type { PopulationSpec } from './population.js';
import { requestHeaders, type Scenario, type Subjects } from './scenarios.js';
import { startServer } from './server-process.js';

export interface PeerResult {
  scenario: string;
  result?: LoadResult;
  /** Peer throughput / bare Express throughput for the same request. */
  ratio?: number;
  /** The peer could not answer the scenario as the gateway does (status differs), so it was not driven. */
  failure?: string;
  /** How the peer's request or answer differs from the gateway's (said in the report). */
  notes?: string[];
}

/**
 * The gateway's scenarios search `patient=<id>`. The in-memory repository matches a reference only in its `Type/id`
 * form, and evaluates `patient` (one expression shared by ~30 resource types) on every stored resource, ~30 ms a
 * search here; `subject=Patient/<id>` selects the same DocumentReferences and Encounters in under 1 ms. The peer gets
 * that form, so its figure is its search, not that quirk (the report says so).
 */
export function peerPath(path: string): string {
  return path.replace(/([?&])patient=([^&/]+)(?=&|$)/, '$1subject=Patient/$2');
}

/** A search Bundle the gateway answers with `_include`d entries, which the peer may leave out. */
function missingIncludes(sc: Scenario, body: string): boolean {
  if (!/[?&]_include=/.test(sc.path)) return false;
  const b = JSON.parse(body) as { entry?: { search?: { mode?: string } }[] };
  return !(b.entry ?? []).some((e) => e.search?.mode === 'include');
}

export interface PeerOptions {
  spec: PopulationSpec;
  subjects: Subjects;
  list: Scenario[];
  dir: string;
  warmup: number;
  duration: number;
  connections: number;
  log: (msg: string) => void;
  /** Receives the peer's peak RSS (VmHWM) in MiB. */
  onRss: (mib: number) => void;
}

/** Every resource the generator makes for the scenario subjects: their Patient, documents, encounters, consents... */
export function subjectResources(spec: PopulationSpec, subjects: Subjects): Resource[] {
  const ids = new Set([...Object.values(subjects.byScenario), ...(subjects.wellness ? [subjects.wellness] : [])].map((p) => p.id));
  return [...ids].flatMap((id) => generatePatient(spec.seed, Number(id.slice(1)), spec.asOf));
}

export async function runMedplumPeer(o: PeerOptions): Promise<PeerResult[]> {
  const file = join(o.dir, 'peer-resources.json');
  const resources = subjectResources(o.spec, o.subjects);
  writeFileSync(file, JSON.stringify(resources));
  o.log(`starting @medplum/fhir-router peer (${resources.length} resources of the scenario subjects, in memory)`);
  const server = await startServer('bench/peer-medplum-server.ts', { PEER_RESOURCES: file }, '/ready', 120_000);
  const out: PeerResult[] = [];
  try {
    for (const sc of o.list) {
      const r: PeerResult = { scenario: sc.name, notes: [] };
      out.push(r);
      const path = peerPath(sc.path);
      if (path !== sc.path) r.notes!.push('searched as subject=Patient/<id>');
      const url = `${server.baseUrl}${path}`;
      const headers = requestHeaders(sc);
      const res = await fetch(url, { method: sc.method, headers, body: sc.body });
      const text = await res.text();
      if (res.status !== sc.expect) {
        r.failure = `answered ${res.status}, expected ${sc.expect}: ${text.slice(0, 160)}`;
        o.log(`  peer ${sc.name}: not driven (${r.failure})`);
        continue;
      }
      if (missingIncludes(sc, text)) r.notes!.push('answers without the _include-d resources');
      await drive({ url, method: sc.method, headers, body: sc.body, duration: o.warmup, connections: o.connections, expect: sc.expect });
      r.result = await drive({ url, method: sc.method, headers, body: sc.body, duration: o.duration, connections: o.connections, expect: sc.expect, onTick: () => o.onRss(server.peakRssMiB()) });
      o.log(`  peer ${sc.name}: ${r.result.requestsPerSecond.toFixed(0)} req/s, p50 ${r.result.p50Ms} ms, p99 ${r.result.p99Ms} ms, errors ${r.result.errors}`);
    }
  } finally {
    o.onRss(server.peakRssMiB());
    await server.stop();
  }
  return out;
}
