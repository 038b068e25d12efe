// The bench's target table (bench/spec-targets.ts): which figures each issue-12 target is judged on, and the verdicts at the edges.
import { describe, expect, test } from 'vitest';
import { evaluateTargets, type MeasuredScenario, type TargetInput } from '../../bench/spec-targets.js';

const row = (store: string, scenario: string, ratio: number, p99Ms = 10, extra: Partial<MeasuredScenario> = {}): MeasuredScenario => ({
  store, scenario, density: 'base', ratio, gateway: { requestsPerSecond: 1000 * ratio, p99Ms }, ...extra,
});

function input(results: MeasuredScenario[], over: Partial<TargetInput> = {}): TargetInput {
  return { results, connections: 10, resources: { sqlite: 1_100_000 }, memory: [], ...over };
}

const find = (rows: ReturnType<typeof evaluateTargets>, start: string, store = 'sqlite') => rows.find((r) => r.target.startsWith(start) && r.store === store)!;

describe('bench targets', () => {
  test('read is met at exactly 0.40 and not met just below', () => {
    expect(find(evaluateTargets(input([row('sqlite', 'read', 0.4)])), 'consent-enforced').met).toBe(true);
    const below = find(evaluateTargets(input([row('sqlite', 'read', 0.39)])), 'consent-enforced');
    expect(below.met).toBe(false);
    expect(below.measured).toBe('read 39%');
  });

  test('patient search and create are judged on their worst scenario, each named', () => {
    const rows = evaluateTargets(input([row('sqlite', 'search-documents', 0.5), row('sqlite', 'search-encounters', 0.29), row('sqlite', 'create-consent', 0.25), row('sqlite', 'wellness-upload', 0.21)]));
    const search = find(rows, 'patient-scoped search >=');
    expect(search.met).toBe(false);
    expect(search.measured).toBe('search-documents 50%, search-encounters 29%');
    expect(find(rows, 'create').met).toBe(true);
  });

  test('WORKERS and dense-consent rows do not stand in for the one-process base figure', () => {
    const rows = evaluateTargets(input([row('sqlite', 'read', 0.9, 10, { workers: 2 }), row('sqlite', 'read', 0.9, 10, { density: 'dense' })]));
    expect(find(rows, 'consent-enforced').met).toBeUndefined();
    expect(find(rows, 'consent-enforced').measured).toBe('not measured');
  });

  test('p99 is judged at the throughput connections, with the smaller population or other connection count said', () => {
    const rows = evaluateTargets(input([row('sqlite', 'search-documents', 0.5, 49.9), row('sqlite', 'search-encounters', 0.5, 50)], { connections: 4, resources: { sqlite: 11_000 } }));
    const p99 = find(rows, 'patient-scoped search p99');
    expect(p99.met).toBe(false);
    expect(p99.measured).toContain('search-encounters 50 ms');
    expect(p99.measured).toContain('4 connections, not 10');
    expect(p99.measured).toContain('11,000 resources, fewer');
  });

  test('each store gets its own rows', () => {
    const rows = evaluateTargets(input([row('sqlite', 'read', 0.5), row('postgres', 'read', 0.1)]));
    expect(find(rows, 'consent-enforced', 'sqlite').met).toBe(true);
    expect(find(rows, 'consent-enforced', 'postgres').met).toBe(false);
  });

  test('consent cost is flat up to 1.2x the base decision cost', () => {
    const at = (dense: number) => find(evaluateTargets(input([], { consentCost: { base: 100, dense } })), 'consent cost').met;
    expect(at(120)).toBe(true);
    expect(at(121)).toBe(false);
    expect(find(evaluateTargets(input([])), 'consent cost').met).toBeUndefined();
  });

  test('memory is bounded at 1.5x of the RSS after warm-up; a failed run is not measured, never met', () => {
    const mem = (afterWarmupMiB: number, endMiB: number, failure?: string) =>
      find(evaluateTargets(input([], { memory: [{ store: 'sqlite', scenario: 'read', seconds: 60, afterWarmupMiB, endMiB, maxMiB: endMiB, failure }] })), 'memory bounded');
    expect(mem(200, 300).met).toBe(true);
    expect(mem(200, 301).met).toBe(false);
    expect(mem(200, 301).measured).toContain('200 -> 301 MiB VmRSS (x1.50');
    const failed = find(evaluateTargets(input([], { memory: [{ store: 'postgres', scenario: 'read', seconds: 60, failure: 'server exited' }] })), 'memory bounded', 'postgres');
    expect(failed.met).toBeUndefined();
    expect(failed.measured).toBe('failed: server exited');
  });
});
