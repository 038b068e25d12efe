// Bulk Data export jobs: run in the background, page each type through the caller's consent-guarded store into NDJSON files. https://hl7.org/fhir/uv/bulkdata/export.html
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../context.js';
import { toOutcome } from '../fhir/outcomes.js';
import type { DisclosureRecord } from '../pipeline/ports.js';
import type { Condition, ResourceStore, SearchQuery } from '../store/resource-store.js';

/** Resources read per search page: the job holds at most one page (plus its disclosure record) in memory. */
export const ExportPageSize = 1000;

/**
 * The port a background job reads through: a consent-guarded store opened for the job's caller exactly as the request
 * pipeline opens one, and the audit of what a page disclosed. A session is opened per page, so the disclosure record
 * never grows beyond one page.
 */
export interface ExportPorts {
  openGuarded(ctx: RequestContext): Promise<{ store: ResourceStore; record(): DisclosureRecord }>;
  audit(ctx: RequestContext, resourceType: string, record: DisclosureRecord, outcome?: OperationOutcome): Promise<void>;
}

export interface ExportRequest {
  ctx: RequestContext;
  /** The kick-off URL as the client sent it (the manifest's `request`). */
  requestUrl: string;
  types: string[];
  /** FHIR instant: only resources last updated after it. */
  since?: string;
  /** Group-level export: only these Patients and what is in their compartments (the Group's members at kick-off). */
  patients?: string[];
}

export interface ExportOutput {
  type: string;
  count: number;
  file: string;
}

export interface ExportJob {
  id: string;
  owner: string;
  requestUrl: string;
  transactionTime: string;
  state: 'running' | 'done' | 'failed';
  /** Types finished so far (X-Progress). */
  typesDone: number;
  typesTotal: number;
  output: ExportOutput[];
  /** NDJSON files of OperationOutcomes (a type the caller may not read, a failed job). */
  error: ExportOutput[];
  dir: string;
  cancelled: boolean;
  /** When the job finished (ms since epoch); its files are kept for the retention period after it. */
  finishedAt?: number;
}

/** Who owns a job: the same kind of caller, token subject, client and organisation (Bulk Data: only the requester). */
export function ownerOf(p: Principal): string {
  return JSON.stringify([p.kind, p.subject, p.clientId ?? '', p.organization ?? '']);
}

function writeLine(out: WriteStream, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(`${line}\n`)) resolve();
    else {
      out.once('drain', resolve);
      out.once('error', reject);
    }
  });
}

function closeStream(out: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(resolve);
  });
}

export interface ExportJobs {
  start(req: ExportRequest): ExportJob;
  /** The job when `principal` owns it; someone else's job is answered as absent (404), never as forbidden. */
  get(id: string, principal: Principal): ExportJob | undefined;
  /** Cancels a running job or removes a finished one with its files. */
  remove(id: string, principal: Principal): boolean;
  /** Waits for running jobs to stop (gateway close). */
  close(): Promise<void>;
}

export interface ExportJobsOptions {
  /** Resources per search page (default ExportPageSize). */
  pageSize?: number;
  /** How long a finished job's files stay downloadable (default a day; the IG lets servers expire them). */
  retentionMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** `root`: a directory only this gateway writes (under DATA_DIR, or the OS temp dir for PostgreSQL). */
export function createExportJobs(root: string, ports: ExportPorts, options: ExportJobsOptions = {}): ExportJobs {
  const pageSize = options.pageSize ?? ExportPageSize;
  const retentionMs = options.retentionMs ?? 24 * 3600_000;
  const now = options.now ?? Date.now;
  const jobs = new Map<string, ExportJob>();

  /** Expired jobs go with their files, checked whenever jobs are touched (no timer keeps the process alive). */
  function expire(): void {
    for (const job of jobs.values()) {
      if (job.finishedAt !== undefined && now() - job.finishedAt > retentionMs) {
        jobs.delete(job.id);
        rmSync(job.dir, { recursive: true, force: true });
      }
    }
  }
  const running = new Set<Promise<void>>();

  /** The Group's members: the Patients themselves, or resources in any of their compartments. */
  function membersOnly(resourceType: string, patients: string[]): Condition {
    if (!patients.length) return { kind: 'false' };
    if (resourceType === 'Patient') return { kind: 'param', code: '_id', values: patients };
    return { kind: 'or', any: patients.map((id) => ({ kind: 'compartment', compartment: 'Patient', id })) };
  }

  async function exportType(job: ExportJob, req: ExportRequest, resourceType: string): Promise<void> {
    const file = `${resourceType}.ndjson`;
    let out: WriteStream | undefined;
    let count = 0;
    const where: Condition[] = [];
    if (req.since) where.push({ kind: 'param', code: '_lastUpdated', values: [`gt${req.since}`] });
    if (req.patients) where.push(membersOnly(resourceType, req.patients));
    // Keyset paging by id: each page starts after the last id written, so resources created or deleted while the
    // job runs never make a page repeat or skip another, and no page costs more than its own rows.
    let afterId = '';
    try {
      while (!job.cancelled) {
        const ctx = { ...req.ctx, now: new Date() };
        const session = await ports.openGuarded(ctx);
        const query: SearchQuery = {
          resourceType,
          where,
          sort: [],
          count: pageSize,
          offset: 0,
          afterId,
          total: 'none',
          include: [],
          revinclude: [],
        };
        let page: Resource[];
        try {
          page = (await session.store.search(query)).resources;
        } catch (err) {
          await ports.audit(ctx, resourceType, session.record(), toOutcome(err));
          throw err;
        }
        if (page.length && !out) out = createWriteStream(join(job.dir, file), { flags: 'wx' });
        for (const r of page) if (out) await writeLine(out, JSON.stringify(r));
        count += page.length;
        // Audited once the page is on disk and before it can be downloaded (fail-closed: no audit, no file).
        if (page.length) await ports.audit(ctx, resourceType, session.record());
        if (page.length < pageSize) break;
        afterId = page[page.length - 1].id as string;
      }
    } finally {
      if (out) await closeStream(out);
    }
    if (count) job.output.push({ type: resourceType, count, file });
  }

  async function writeError(job: ExportJob, outcome: OperationOutcome): Promise<void> {
    const file = `error-${job.error.length + 1}.ndjson`;
    const out = createWriteStream(join(job.dir, file), { flags: 'wx' });
    await writeLine(out, JSON.stringify(outcome));
    await closeStream(out);
    job.error.push({ type: 'OperationOutcome', count: 1, file });
  }

  async function run(job: ExportJob, req: ExportRequest): Promise<void> {
    try {
      for (const type of req.types) {
        if (job.cancelled) return;
        try {
          await exportType(job, req, type);
        } catch (err) {
          const outcome = toOutcome(err);
          // A type this caller may not read at all (403) is reported in the manifest; anything else fails the job.
          if (outcome.issue?.[0]?.code !== 'forbidden') throw err;
          await writeError(job, outcome);
        }
        job.typesDone++;
      }
      job.state = 'done';
    } catch (err) {
      // The error file is complete before a poll can see the failure.
      if (!job.cancelled) await writeError(job, toOutcome(err)).catch(() => undefined);
      job.state = 'failed';
    } finally {
      job.finishedAt = now();
      if (job.cancelled) rmSync(job.dir, { recursive: true, force: true });
    }
  }

  return {
    start(req) {
      expire();
      const id = randomUUID();
      const dir = join(root, id);
      mkdirSync(dir, { recursive: true });
      const job: ExportJob = {
        id,
        owner: ownerOf(req.ctx.principal),
        requestUrl: req.requestUrl,
        transactionTime: req.ctx.now.toISOString(),
        state: 'running',
        typesDone: 0,
        typesTotal: req.types.length,
        output: [],
        error: [],
        dir,
        cancelled: false,
      };
      jobs.set(id, job);
      // Started after the kick-off has answered (and been audited); the job owns its own failures.
      const p: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => run(job, req))
        .finally(() => running.delete(p));
      running.add(p);
      return job;
    },
    get(id, principal) {
      expire();
      const job = jobs.get(id);
      return job && job.owner === ownerOf(principal) ? job : undefined;
    },
    remove(id, principal) {
      const job = jobs.get(id);
      if (!job || job.owner !== ownerOf(principal)) return false;
      jobs.delete(id);
      job.cancelled = true;
      // A running job removes its directory when it notices; a finished one is removed now.
      if (job.state !== 'running') rmSync(job.dir, { recursive: true, force: true });
      return true;
    },
    async close() {
      for (const job of jobs.values()) job.cancelled = true;
      await Promise.allSettled([...running]);
      jobs.clear();
      // Every file here belongs to this gateway's jobs, which end with it (the manifest promised nothing beyond that).
      rmSync(root, { recursive: true, force: true });
    },
  };
}
