// Express adapter for the FHIR base: turns HTTP into a FhirRequest, runs the pipeline and writes the answer.
import type { OperationOutcome } from '@medplum/fhirtypes';
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { NextFunction, Request, Response } from 'express';
import type { FhirRequest } from '../fhir/types.js';
import type { RequestPipeline } from '../pipeline/request-pipeline.js';
import { statusOf, toOutcome } from '../fhir/outcomes.js';
import { runWithRequestSignal } from '../store/sql/unavailable.js';
import type { RequestLimits } from '../config.js';
import { requireJsonBody, requireJsonResponse, requirePatchBody } from './content-negotiation.js';
import { addParam, fhirPathOf, requireJsonDepth } from './limits.js';
import { currentRequestId } from './request-id.js';
import { sendFhir, sendOutcome } from './respond.js';

export interface EndpointOptions {
  /** Public base URL when behind a proxy; otherwise derived from the request. */
  publicBaseUrl?: string;
  pickLanguage(acceptLanguage: string | undefined): 'fi' | 'sv' | 'en';
  /** Extra headers on auth failures (WWW-Authenticate), from the 401 outcome. */
  challenge(outcome: OperationOutcome): Record<string, string>;
  limits: RequestLimits;
  /** Retry-After (seconds) on every 503. */
  retryAfterSeconds: number;
  /**
   * Whether the store can cancel a request's queries when its client hangs up (PostgreSQL). SQLite runs each statement
   * to its end synchronously, so there the signal is not set up at all: carrying it (AsyncLocalStorage) turns on
   * Node's promise hooks for every await of every request, for nothing.
   */
  cancelsQueries?: boolean;
}

export function baseUrlOf(req: Request, publicBaseUrl?: string): string {
  return publicBaseUrl ?? `${req.protocol}://${req.get('host')}/fhir`;
}

/** The raw path and query as sent: WHATWG URL parsing would resolve dot segments before we could refuse them. */
function splitTarget(originalUrl: string): { pathname: string; search: string } {
  const q = originalUrl.indexOf('?');
  return q < 0 ? { pathname: originalUrl, search: '' } : { pathname: originalUrl.slice(0, q), search: originalUrl.slice(q + 1) };
}

function queryOf(search: string, limits: RequestLimits): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(search)) addParam(out, k, v, limits);
  return out;
}

export function toFhirRequest(req: Request, baseUrl: string, limits: RequestLimits): FhirRequest {
  const target = splitTarget(req.originalUrl);
  const path = fhirPathOf(target.pathname);
  const query = queryOf(target.search, limits);
  const isSearchPost = req.method === 'POST' && /(^|\/)_search$/.test(path);
  if (isSearchPost && typeof req.body === 'string') {
    for (const [k, v] of new URLSearchParams(req.body)) addParam(query, k, v, limits);
  } else if (isSearchPost && req.body !== undefined && req.body !== null && typeof req.body === 'object' && !('resourceType' in req.body)) {
    if (Array.isArray(req.body)) throw new OperationOutcomeError(badRequest('A _search body must be a form or a JSON object of parameters'));
    for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) {
      for (const one of Array.isArray(v) ? v : [v]) addParam(query, k, one, limits);
    }
  }
  if (!isSearchPost) requireJsonDepth(req.body, limits.jsonDepth);
  return {
    // HEAD is a GET whose body Express leaves out (http.html#read: servers SHOULD support HEAD).
    method: (req.method === 'HEAD' ? 'GET' : req.method) as FhirRequest['method'],
    path,
    params: {},
    query,
    body: isSearchPost ? undefined : req.body,
    headers: {
      accept: req.get('accept'),
      ifMatch: req.get('if-match'),
      ifNoneMatch: req.get('if-none-match'),
      ifNoneExist: req.get('if-none-exist'),
      ifModifiedSince: req.get('if-modified-since'),
      prefer: req.get('prefer'),
      acceptLanguage: req.get('accept-language'),
    },
    baseUrl,
  };
}

/** GET or HEAD of /fhir/Binary/[id] or /fhir/Binary/[id]/_history/[vid]. */
function isBinaryRead(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && /^\/fhir\/Binary\/[^/]+(\/_history\/[^/]+)?$/.test(path);
}

export function fhirEndpoint(pipeline: RequestPipeline, opts: EndpointOptions) {
  return async (req: Request, res: Response, _next: NextFunction): Promise<void> => {
    const requestId = currentRequestId(req, res);
    // A preflight that reached here (CORS not configured for this origin) is answered, never challenged with 401.
    if (req.method === 'OPTIONS') {
      res.status(204).set('Allow', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS').end();
      return;
    }
    const baseUrl = baseUrlOf(req, opts.publicBaseUrl);
    try {
      // A Binary read may answer in the content's own type; its handler negotiates (binary-content.ts).
      if (!isBinaryRead(req.method, req.path)) requireJsonResponse(req.get('accept'), typeof req.query._format === 'string' ? req.query._format : undefined);
      if (req.method === 'POST' || req.method === 'PUT') {
        requireJsonBody(req.get('content-type'), /\/_search$/.test(req.path));
      }
      if (req.method === 'PATCH') requirePatchBody(req.get('content-type'));
      const fhirReq = toFhirRequest(req, baseUrl, opts.limits);
      const handle = () =>
        pipeline.handle(fhirReq, {
          authorization: req.get('authorization'),
          requestId,
          remoteAddress: req.ip,
          language: opts.pickLanguage(req.get('accept-language')),
        });
      let response: Awaited<ReturnType<typeof handle>>;
      if (opts.cancelsQueries) {
        // A client that hangs up gets its queries cancelled (PostgreSQL) instead of running them to the end.
        const gone = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) gone.abort();
        });
        response = await runWithRequestSignal(gone.signal, handle);
      } else {
        response = await handle();
      }
      if (statusOf(response.outcome) === 503) res.set('Retry-After', String(opts.retryAfterSeconds));
      sendFhir(res, response, { baseUrl, prefer: req.get('prefer'), method: req.method, pretty: req.query._pretty === 'true' });
    } catch (err) {
      const outcome = toOutcome(err);
      const headers = outcome.id === 'unauthorized' || outcome.id === 'insufficient-scope' || outcome.issue?.[0]?.code === 'login' ? opts.challenge(outcome) : {};
      if (statusOf(outcome) === 503) headers['Retry-After'] = String(opts.retryAfterSeconds);
      sendOutcome(res, outcome, headers);
    }
  };
}
