// Export jobs over a fake guarded store: paging with one page in memory, audit per page (fail-closed), refusals, cancel, owner, retention.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forbidden, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { afterEach, describe, expect, test } from 'vitest';
import type { Principal, RequestContext } from '../context.js';
import type { DisclosureRecord } from '../pipeline/ports.js';
import type { ResourceStore, SearchQuery } from '../store/resource-store.js';
import { createExportJobs, type ExportJob, type ExportJobs, type ExportPorts } from './export-jobs.js';

const operator: Principal = { kind: 'system', subject: 'operator', scopes: ['system/*.rs'] };
const ctx: RequestContext = { principal: operator, requestId: 'r1', now: new Date('2026-01-01T00:00:00Z'), language: 'en' };

const patients: Resource[] = ['p5', 'p3', 'p1', 'p4', 'p2'].map((id) => ({ resourceType: 'Patient', id, meta: { lastUpdated: `2026-01-0${id.slice(1)}T00:00:00Z` } }));

interface Fake {
  ports: ExportPorts;
  queries: SearchQuery[];
  audits: Array<{ type: string; disclosed: number; failed: boolean }>;
  sessions: number;
}

function fake(opts: { refuse?: string; broken?: string; auditFails?: boolean; gate?: Promise<void> } = {}): Fake {
  const f: Fake = { queries: [], audits: [], sessions: 0, ports: undefined as never };
  f.ports = {
    async openGuarded() {
      f.sessions++;
      const record: DisclosureRecord = { disclosed: [], withheld: [] };
      const store = {
        async search(q: SearchQuery) {
          await opts.gate;
          f.queries.push(q);
          if (q.resourceType === opts.refuse) throw new OperationOutcomeError(forbidden);
          if (q.resourceType === opts.broken) throw new Error('disk on fire');
          const since = q.where[0]?.kind === 'param' ? q.where[0].values[0].slice(2) : undefined;
          const all = (q.resourceType === 'Patient' ? patients : [])
            .filter((r) => !since || r.meta!.lastUpdated! > since)
            .sort((a, b) => a.id!.localeCompare(b.id!));
          const resources = all.filter((r) => q.afterId === undefined || r.id! > q.afterId).slice(q.offset, q.offset + q.count);
          record.disclosed.push(...resources);
          return { resources, included: [] };
        },
      } as unknown as ResourceStore;
      return { store, record: () => record };
    },
    async audit(_ctx, type, record, outcome) {
      if (opts.auditFails) throw new Error('audit log unavailable');
      f.audits.push({ type, disclosed: record.disclosed.length, failed: !!outcome });
    },
  };
  return f;
}

async function settle(jobs: ExportJobs, job: ExportJob): Promise<ExportJob> {
  while (jobs.get(job.id, operator)?.state === 'running') await new Promise((r) => setImmediate(r));
  return job;
}

describe('export jobs', () => {
  const root = mkdtempSync(join(tmpdir(), 'export-jobs-'));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('pages through the store by id (keyset), one guarded session and one audit per page, never more than a page at once', async () => {
    const f = fake();
    const jobs = createExportJobs(root, f.ports, { pageSize: 2 });
    const job = await settle(jobs, jobs.start({ ctx, requestUrl: 'x', types: ['Patient', 'Encounter'] }));
    expect(job.state).toBe('done');
    expect(job.output).toEqual([{ type: 'Patient', count: 5, file: 'Patient.ndjson' }]);
    const lines = readFileSync(join(job.dir, 'Patient.ndjson'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(f.queries.filter((q) => q.resourceType === 'Patient').map((q) => [q.afterId, q.offset, q.count])).toEqual([['', 0, 2], ['p2', 0, 2], ['p4', 0, 2]]);
    expect(f.queries.every((q) => q.sort.length === 0)).toBe(true);
    expect(f.sessions).toBe(4); // three Patient pages and one empty Encounter page
    expect(f.audits).toEqual([
      { type: 'Patient', disclosed: 2, failed: false },
      { type: 'Patient', disclosed: 2, failed: false },
      { type: 'Patient', disclosed: 1, failed: false },
    ]);
    await jobs.close();
  });

  test('_since becomes a _lastUpdated gt condition', async () => {
    const f = fake();
    const jobs = createExportJobs(root, f.ports);
    const job = await settle(jobs, jobs.start({ ctx, requestUrl: 'x', types: ['Patient'], since: '2026-01-03T00:00:00Z' }));
    expect(f.queries[0].where).toEqual([{ kind: 'param', code: '_lastUpdated', values: ['gt2026-01-03T00:00:00Z'] }]);
    expect(job.output[0].count).toBe(2);
    await jobs.close();
  });

  test('a type the caller may not read is an error file in the manifest; other types still export', async () => {
    const f = fake({ refuse: 'AuditEvent' });
    const jobs = createExportJobs(root, f.ports);
    const job = await settle(jobs, jobs.start({ ctx, requestUrl: 'x', types: ['AuditEvent', 'Patient'] }));
    expect(job.state).toBe('done');
    expect(job.output.map((o) => o.type)).toEqual(['Patient']);
    expect(job.error).toEqual([{ type: 'OperationOutcome', count: 1, file: 'error-1.ndjson' }]);
    expect(JSON.parse(readFileSync(join(job.dir, 'error-1.ndjson'), 'utf8')).issue[0].code).toBe('forbidden');
    expect(f.audits[0]).toEqual({ type: 'AuditEvent', disclosed: 0, failed: true });
    await jobs.close();
  });

  test('an unwritable audit log fails the job (fail-closed); an internal error is not leaked', async () => {
    const jobs = createExportJobs(root, fake({ auditFails: true }).ports);
    const job = await settle(jobs, jobs.start({ ctx, requestUrl: 'x', types: ['Patient'] }));
    expect(job.state).toBe('failed');
    expect(job.output).toEqual([]);
    const broken = createExportJobs(root, fake({ broken: 'Patient' }).ports);
    const failed = await settle(broken, broken.start({ ctx, requestUrl: 'x', types: ['Patient'] }));
    expect(failed.state).toBe('failed');
    expect(readFileSync(join(failed.dir, 'error-1.ndjson'), 'utf8')).not.toMatch(/disk on fire/);
    await jobs.close();
    await broken.close();
  });

  test('only the owner sees a job; removing a running job cancels it and deletes its files', async () => {
    let open!: () => void;
    const f = fake({ gate: new Promise<void>((r) => (open = r)) });
    const jobs = createExportJobs(root, f.ports, { pageSize: 2 });
    const job = jobs.start({ ctx, requestUrl: 'x', types: ['Patient'] });
    const other: Principal = { ...operator, subject: 'someone-else' };
    expect(jobs.get(job.id, other)).toBeUndefined();
    expect(jobs.remove(job.id, other)).toBe(false);
    expect(jobs.get(job.id, operator)?.state).toBe('running');
    expect(jobs.remove(job.id, operator)).toBe(true);
    open();
    await jobs.close();
    expect(jobs.get(job.id, operator)).toBeUndefined();
    expect(existsSync(job.dir)).toBe(false);
    expect(f.queries.length).toBeLessThanOrEqual(1);
  });

  test('a finished job expires after the retention period, files and all', async () => {
    let clock = 1_000;
    const jobs = createExportJobs(root, fake().ports, { retentionMs: 60_000, now: () => clock });
    const job = await settle(jobs, jobs.start({ ctx, requestUrl: 'x', types: ['Patient'] }));
    clock += 59_000;
    expect(jobs.get(job.id, operator)?.state).toBe('done');
    clock += 2_000;
    expect(jobs.get(job.id, operator)).toBeUndefined();
    expect(existsSync(job.dir)).toBe(false);
    await jobs.close();
  });
});
