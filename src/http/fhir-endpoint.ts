// Express adapter for the FHIR base: turns HTTP into a FhirRequest, runs the pipeline and writes the answer.
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { NextFunction, Request, Response } from 'express';
import type { FhirRequest } from '../fhir/types.js';
import type { RequestPipeline } from '../pipeline/request-pipeline.js';
import { toOutcome } from '../fhir/outcomes.js';
import { requireJsonBody, requireJsonResponse, requirePatchBody } from './content-negotiation.js';
import { currentRequestId } from './request-id.js';
import { sendFhir, sendOutcome } from './respond.js';

export interface EndpointOptions {
  /** Public base URL when behind a proxy; otherwise derived from the request. */
  publicBaseUrl?: string;
  pickLanguage(acceptLanguage: string | undefined): 'fi' | 'sv' | 'en';
  /** Extra headers on auth failures (WWW-Authenticate), from the 401 outcome. */
  challenge(outcome: OperationOutcome): Record<string, string>;
}

export function baseUrlOf(req: Request, publicBaseUrl?: string): string {
  return publicBaseUrl ?? `${req.protocol}://${req.get('host')}/fhir`;
}

function queryOf(req: Request): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const url = new URL(req.originalUrl, 'http://x');
  for (const [k, v] of url.searchParams) (out[k] ??= []).push(v);
  return out;
}

export function toFhirRequest(req: Request, baseUrl: string): FhirRequest {
  const path = decodeURIComponent(new URL(req.originalUrl, 'http://x').pathname.replace(/^\/fhir\/?/, ''));
  const query = queryOf(req);
  const isSearchPost = req.method === 'POST' && /(^|\/)_search$/.test(path);
  if (isSearchPost && req.body && typeof req.body === 'object' && !('resourceType' in req.body)) {
    for (const [k, v] of Object.entries(req.body as Record<string, string | string[]>)) {
      (query[k] ??= []).push(...(Array.isArray(v) ? v : [v]));
    }
  }
  return {
    // HEAD is a GET whose body Express leaves out (http.html#read: servers SHOULD support HEAD).
    method: (req.method === 'HEAD' ? 'GET' : req.method) as FhirRequest['method'],
    path,
    params: {},
    query,
    body: isSearchPost ? undefined : req.body,
    headers: {
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
      requireJsonResponse(req.get('accept'), typeof req.query._format === 'string' ? req.query._format : undefined);
      if (req.method === 'POST' || req.method === 'PUT') {
        requireJsonBody(req.get('content-type'), /\/_search$/.test(req.path));
      }
      if (req.method === 'PATCH') requirePatchBody(req.get('content-type'));
      const fhirReq = toFhirRequest(req, baseUrl);
      const response = await pipeline.handle(fhirReq, {
        authorization: req.get('authorization'),
        requestId,
        remoteAddress: req.ip,
        language: opts.pickLanguage(req.get('accept-language')),
      });
      sendFhir(res, response, { baseUrl, prefer: req.get('prefer'), method: req.method, pretty: req.query._pretty === 'true' });
    } catch (err) {
      const outcome = toOutcome(err);
      const headers = outcome.id === 'unauthorized' || outcome.id === 'insufficient-scope' || outcome.issue?.[0]?.code === 'login' ? opts.challenge(outcome) : {};
      sendOutcome(res, outcome, headers);
    }
  };
}
