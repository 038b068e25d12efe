// Memory bounded (issue 12): one long run of a scenario on a fresh gateway, VmRSS sampled after warm-up and at the end.
import { drive } from './load.js';
import { requestHeaders, type Scenario } from './scenarios.js';
import { startServer } from './server-process.js';
import type { MemoryCheck } from './spec-targets.js';

export interface MemoryRunOptions {
  store: string;
  /** The gateway's whole environment (store, issuer, logging). */
  env: Record<string, string>;
  scenario: Scenario;
  mint: (claims: Record<string, unknown>) => Promise<string>;
  seconds: number;
  warmup: number;
  connections: number;
  log: (msg: string) => void;
}

/**
 * A fresh process, so the baseline is this scenario's warm state and not what earlier scenarios left behind.
 * VmRSS (current), not VmHWM (peak): memory that is given back must count as given back.
 */
export async function runMemoryCheck(o: MemoryRunOptions): Promise<MemoryCheck> {
  const m: MemoryCheck = { store: o.store, scenario: o.scenario.name, seconds: o.seconds };
  o.log(`memory run (${o.store}): ${o.scenario.name} for ${o.seconds} s`);
  const server = await startServer('src/main.ts', o.env, '/fhir/metadata');
  try {
    const token = await o.mint(o.scenario.claims);
    const load = { url: `${server.baseUrl}${o.scenario.path}`, method: o.scenario.method, headers: requestHeaders(o.scenario, token), body: o.scenario.body, connections: o.connections, expect: o.scenario.expect };
    const warm = await drive({ ...load, duration: o.warmup });
    if (warm.errors) throw new Error(`${warm.errors} of ${warm.requests} warm-up requests failed (${JSON.stringify(warm.statusCounts)})`);
    m.afterWarmupMiB = server.rssMiB();
    m.maxMiB = m.afterWarmupMiB;
    const run = await drive({
      ...load,
      duration: o.seconds,
      onTick: () => {
        m.maxMiB = Math.max(m.maxMiB ?? 0, server.rssMiB());
      },
    });
    m.endMiB = server.rssMiB();
    m.maxMiB = Math.max(m.maxMiB, m.endMiB);
    m.requests = run.requests;
    o.log(`  VmRSS ${m.afterWarmupMiB.toFixed(0)} MiB after warm-up, ${m.endMiB.toFixed(0)} MiB after ${run.requests} requests (max ${m.maxMiB.toFixed(0)}), errors ${run.errors}`);
    if (run.errors) m.failure = `${run.errors} of ${run.requests} requests failed`;
  } catch (err) {
    m.failure = String((err as Error).message ?? err);
    o.log(`  FAILED: ${m.failure}`);
  } finally {
    await server.stop();
  }
  return m;
}
