// Bulk Data export status and file endpoints: poll (202/200 manifest), download NDJSON, DELETE; only the job's owner. https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-status-request
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { notFound, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { Router, type Request, type Response } from 'express';
import type { Principal } from '../context.js';
import { toOutcome } from '../fhir/outcomes.js';
import { sendOutcome } from '../http/respond.js';
import type { ExportJob, ExportJobs } from './export-jobs.js';

export const NdjsonType = 'application/fhir+ndjson';

export interface ExportRoutesDeps {
  jobs: ExportJobs;
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** Extra headers on a 401 (WWW-Authenticate). */
  challenge(outcome: OperationOutcome): Record<string, string>;
  /** Origin the status and file URLs are built on (public base URL without /fhir, or the request's own). */
  origin(req: Request): string;
}

const JobId = /^[0-9a-f-]{36}$/;
const FileName = /^[A-Za-z0-9-]{1,64}\.ndjson$/;

const noSuchJob = (): OperationOutcome => ({ ...notFound, issue: [{ ...notFound.issue![0], details: { text: 'No such export job (it may have been deleted, or was started by another client)' } }] });

/** The status URL of a job, as sent in Content-Location. */
export const statusPath = (id: string): string => `/bulk-export/${id}`;

function manifest(job: ExportJob, origin: string) {
  const url = (file: string) => `${origin}${statusPath(job.id)}/${file}`;
  return {
    transactionTime: job.transactionTime,
    request: job.requestUrl,
    requiresAccessToken: true,
    output: job.output.map((o) => ({ type: o.type, url: url(o.file), count: o.count })),
    error: job.error.map((o) => ({ type: o.type, url: url(o.file), count: o.count })),
  };
}

export function exportRoutes(deps: ExportRoutesDeps): Router {
  const router = Router();

  async function ownJob(req: Request): Promise<ExportJob | undefined> {
    const principal = await deps.authenticate(req.get('authorization'));
    const id = String(req.params.id);
    return JobId.test(id) ? deps.jobs.get(id, principal) : undefined;
  }

  function fail(res: Response, err: unknown): void {
    const outcome = toOutcome(err);
    sendOutcome(res, outcome, outcome.id === 'unauthorized' || outcome.issue?.[0]?.code === 'login' ? deps.challenge(outcome) : {});
  }

  router.get('/:id', async (req, res) => {
    try {
      const job = await ownJob(req);
      if (!job) throw new OperationOutcomeError(noSuchJob());
      res.set('Cache-Control', 'no-store');
      if (job.state === 'running') {
        res.set('X-Progress', `${job.typesDone} of ${job.typesTotal} resource types exported`).set('Retry-After', '1').status(202).end();
        return;
      }
      if (job.state === 'failed') {
        // The IG's failed-job answer: an OperationOutcome with an error status; the details stay in the job's error file.
        sendOutcome(res, { resourceType: 'OperationOutcome', id: 'server-error', issue: [{ severity: 'error', code: 'exception', details: { text: 'The export job failed; start a new one' } }] });
        return;
      }
      res.status(200).type('application/json').send(JSON.stringify(manifest(job, deps.origin(req))));
    } catch (err) {
      fail(res, err);
    }
  });

  router.delete('/:id', async (req, res) => {
    try {
      const principal = await deps.authenticate(req.get('authorization'));
      const id = String(req.params.id);
      if (!JobId.test(id) || !deps.jobs.remove(id, principal)) throw new OperationOutcomeError(noSuchJob());
      res.status(202).end();
    } catch (err) {
      fail(res, err);
    }
  });

  router.get('/:id/:file', async (req, res) => {
    try {
      const job = await ownJob(req);
      const file = String(req.params.file);
      const listed = job && job.state === 'done' && [...job.output, ...job.error].some((o) => o.file === file);
      if (!job || !FileName.test(file) || !listed) throw new OperationOutcomeError(noSuchJob());
      res.status(200).type(NdjsonType).set('Cache-Control', 'no-store');
      const stream = createReadStream(join(job.dir, file));
      stream.on('error', (err) => (res.headersSent ? res.destroy(err) : fail(res, err)));
      stream.pipe(res);
    } catch (err) {
      fail(res, err);
    }
  });

  return router;
}
