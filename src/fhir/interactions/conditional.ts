// Matching for conditional create, update, delete and conditional references, over what the caller may see only. https://hl7.org/fhir/R4/http.html#cond-update
import { badRequest, forbidden, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';
import type { FhirServices } from '../types.js';

/** Parameters that shape the answer rather than select resources. */
const NotCriteria = ['_format', '_pretty', '_summary', '_elements', '_count', '_offset', '_sort', '_total', '_include', '_revinclude'];

/** "identifier=a|b" or "Patient?identifier=a|b" (If-None-Exist, conditional references) as a query map. */
export function criteriaOf(text: string): Record<string, string[]> {
  const qs = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text;
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(qs)) (out[k] ??= []).push(v);
  return out;
}

/**
 * The caller must see every record of the type: otherwise "no match" could hide a withheld one (a duplicate would
 * be created beside it) and "one match" vs "412" could betray it. The refusal depends only on the caller's policy.
 */
export function requireConditionalAllowed(store: ResourceStore, resourceType: string, what: string): void {
  if (store.coversAll && !store.coversAll(resourceType)) {
    const outcome = { ...forbidden, issue: [{ ...forbidden.issue![0], details: { text: `Conditional ${what} needs access to every ${resourceType}; your access is limited by consent, so search first and then act by id` } }] };
    throw new OperationOutcomeError(outcome);
  }
}

/** Up to two matches of the criteria (two are enough to tell "one" from "many"); unknown parameters are 400. */
export async function conditionalMatches(store: ResourceStore, services: FhirServices, resourceType: string, query: Record<string, string[]>, what: string): Promise<Resource[]> {
  const criteria = Object.fromEntries(Object.entries(query).filter(([k]) => !NotCriteria.includes(k)));
  if (Object.keys(criteria).length === 0) throw new OperationOutcomeError(badRequest(`Conditional ${what} needs search criteria`));
  requireConditionalAllowed(store, resourceType, what);
  const parsed = services.parseSearch(resourceType, criteria, true);
  const result = await store.search({ ...parsed.query, sort: [], count: 2, offset: 0, total: 'none', include: [], revinclude: [] });
  return result.resources;
}
