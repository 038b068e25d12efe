// FHIR read and vread, with conditional read (If-None-Match, If-Modified-Since) and _summary/_elements. https://hl7.org/fhir/R4/http.html#read
import { allOk, badRequest, gone, notFound, notModified, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { selectElements, summarize } from '../elements.js';
import { summaryFields } from '../summary-elements.js';
import type { FhirHandler, FhirRequest, FhirServices } from '../types.js';
import { etagMatches } from './etag.js';
import { readAnswer } from './binary-content.js';

const ReadParams = ['_summary', '_elements', '_format', '_pretty'];

/** _summary (true, text, data, false) and _elements apply to a read as to a search; count means nothing here. */
export function shapeRead(req: FhirRequest, resource: Resource, services: FhirServices): Resource {
  for (const k of Object.keys(req.query)) {
    if (!ReadParams.includes(k)) throw new OperationOutcomeError(badRequest(`Unknown parameter '${k}' on read`, k));
  }
  const elements = req.query._elements?.flatMap((v) => v.split(',')).map((e) => e.trim()).filter(Boolean);
  const summary = req.query._summary?.[0];
  if (elements?.length && summary) throw new OperationOutcomeError(badRequest('_summary and _elements cannot be combined', '_elements'));
  if (elements?.length) return selectElements(resource, elements);
  if (summary === undefined || summary === 'false') return resource;
  if (summary === 'true') return selectElements(resource, summaryFields(resource as unknown as Record<string, unknown>, services.summaryElements(resource.resourceType)));
  if (summary === 'text' || summary === 'data') return summarize(resource, summary);
  throw new OperationOutcomeError(badRequest(`_summary '${summary}' is not allowed on read (true, text, data, false)`, '_summary'));
}

/** If-Modified-Since compares at HTTP-date precision (whole seconds). */
function notModifiedSince(header: string | undefined, lastUpdated: string | undefined): boolean {
  if (!header || !lastUpdated) return false;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  return Math.floor(Date.parse(lastUpdated) / 1000) <= Math.floor(since / 1000);
}

export const read: FhirHandler = async (req, { store, services }) => {
  const { resourceType, id } = req.params;
  const resource = await store.read(resourceType, id);
  if (!resource) {
    throw new OperationOutcomeError((await store.isDeleted(resourceType, id)) ? gone : notFound);
  }
  // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2); a 304 still carries the ETag (sent from `resource`).
  const unchanged = req.headers.ifNoneMatch ? etagMatches(req.headers.ifNoneMatch, resource.meta?.versionId) : notModifiedSince(req.headers.ifModifiedSince, resource.meta?.lastUpdated);
  if (unchanged) return { outcome: notModified, resource };
  return { outcome: allOk, ...readAnswer(req, resource, (r) => shapeRead(req, r, services)) };
};
