// Writes a FhirResponse as HTTP: status, FHIR JSON, ETag, Last-Modified, Location and Prefer handling. https://hl7.org/fhir/R4/http.html
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Response } from 'express';
import { statusOf } from '../fhir/outcomes.js';
import type { FhirResponse } from '../fhir/types.js';
import { FhirJson } from './content-negotiation.js';

export function sendOutcome(res: Response, outcome: OperationOutcome, extraHeaders: Record<string, string> = {}): void {
  res.status(statusOf(outcome)).set(extraHeaders).type(FhirJson).send(JSON.stringify(outcome));
}

export function sendFhir(res: Response, r: FhirResponse, opts: { baseUrl: string; prefer?: string; method: string; pretty?: boolean }): void {
  const status = statusOf(r.outcome);
  const resource = r.resource;
  if (resource?.meta?.versionId && resource.resourceType !== 'Bundle') {
    res.set('ETag', `W/"${resource.meta.versionId}"`);
  }
  if (resource?.meta?.lastUpdated && resource.resourceType !== 'Bundle') {
    res.set('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
  }
  if (r.location) res.set('Location', `${opts.baseUrl}/${r.location}`);
  if (r.contentLocation) res.set('Content-Location', r.contentLocation);
  if (status === 304) {
    res.status(304).end();
    return;
  }
  if (r.native && resource?.resourceType === 'Binary') {
    // The content itself (an archived CDA as application/xml): exactly the stored bytes, no FHIR wrapper.
    res.status(status).type(resource.contentType ?? 'application/octet-stream').send(Buffer.from(resource.data ?? '', 'base64'));
    return;
  }
  const prefer = /return\s*=\s*(minimal|representation|OperationOutcome)/i.exec(opts.prefer ?? '')?.[1];
  const isWrite = status < 300 && (opts.method === 'PUT' || opts.method === 'PATCH' || (opts.method === 'POST' && r.location !== undefined));
  if (isWrite && prefer === 'minimal') {
    res.status(status).end();
    return;
  }
  const body = isWrite && prefer === 'OperationOutcome' ? r.outcome : (resource ?? r.outcome);
  res.status(status).type(FhirJson).send(opts.pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body));
}
