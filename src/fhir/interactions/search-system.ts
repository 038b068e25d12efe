// FHIR system-level search (GET [base]?_type=..., POST [base]/_search) and Patient compartment search (Patient/[id]/[type]). https://hl7.org/fhir/R4/search.html#searchall https://hl7.org/fhir/R4/compartmentdefinition.html
import { allOk, badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceStore, SearchQuery } from '../../store/resource-store.js';
import { pagingLinks, searchsetBundle } from '../bundles.js';
import type { FhirHandler, FhirServices, ParsedSearch } from '../types.js';
import { isStrict, shapeResults, unknownParamsOutcome } from './search-type.js';

/**
 * One page over several searches laid end to end (type by type): the totals are counted first so that offsets
 * are stable across pages. Every count and page goes through the caller's guarded store.
 */
export async function searchAcrossTypes(store: ResourceStore, queries: SearchQuery[], offset: number, count: number): Promise<{ resources: Resource[]; included: Resource[]; total: number }> {
  const totals: number[] = [];
  for (const q of queries) totals.push((await store.search({ ...q, count: 0, offset: 0, total: 'accurate', include: [], revinclude: [] })).total ?? 0);
  const resources: Resource[] = [];
  const included: Resource[] = [];
  let skip = offset;
  let left = count;
  for (const [i, q] of queries.entries()) {
    if (left <= 0) break;
    if (skip >= totals[i]) {
      skip -= totals[i];
      continue;
    }
    const take = Math.min(left, totals[i] - skip);
    const page = await store.search({ ...q, offset: skip, count: take, total: 'none' });
    resources.push(...page.resources);
    included.push(...page.included);
    left -= take;
    skip = 0;
  }
  return { resources, included, total: totals.reduce((a, b) => a + b, 0) };
}

/** The types a system search covers: `_type` (each served and searchable) or every searchable type. */
function typesOf(query: Record<string, string[]>, searchable: string[]): string[] {
  const listed = query._type?.flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  if (!listed?.length) return searchable;
  for (const t of listed) if (!searchable.includes(t)) throw new OperationOutcomeError(badRequest(`_type '${t}' is not a searchable resource type of this server`, '_type'));
  return [...new Set(listed)];
}

export const searchSystem: FhirHandler = async (req, { store, services }) => {
  const searchable = services.searchableTypes?.() ?? [];
  const types = typesOf(req.query, searchable);
  const { _type: _ignored, ...rest } = req.query;
  const strict = isStrict(req);
  const parsed: ParsedSearch[] = types.map((t) => services.parseSearch(t, rest, strict));
  if (parsed.length === 0) throw new OperationOutcomeError(badRequest('No resource type to search', '_type'));
  // Across types, a parameter is "unknown" when no searched type knows it.
  const unknown = parsed[0].unknown.filter((p) => parsed.every((x) => x.unknown.includes(p)));
  const { count, offset } = parsed[0].query;
  const result = await searchAcrossTypes(store, parsed.map((p) => p.query), offset, count);
  const resources = shapeResults(result.resources, parsed[0], services);
  const links = pagingLinks({ baseUrl: req.baseUrl, path: '', query: req.query, offset, count, pageSize: result.resources.length, total: result.total });
  return { outcome: allOk, resource: searchsetBundle(req.baseUrl, resources, result.included, links, result.total, unknown.length ? unknownParamsOutcome(unknown) : undefined) };
};

/** GET Patient/[id]/[type]: an ordinary search of `type` restricted to the patient's compartment. */
export const searchCompartment: FhirHandler = async (req, { store, services }) => {
  const { resourceType, compartmentId } = req.params;
  if (!services.patientCompartmentTypes().includes(resourceType)) {
    throw new OperationOutcomeError({ ...notFound, issue: [{ ...notFound.issue![0], details: { text: `${resourceType} is not in the Patient compartment` } }] });
  }
  const parsed = services.parseSearch(resourceType, req.query, isStrict(req));
  const query: SearchQuery = { ...parsed.query, where: [...parsed.query.where, { kind: 'compartment', compartment: 'Patient', id: compartmentId }] };
  const result = await store.search(query);
  const links = pagingLinks({ baseUrl: req.baseUrl, path: `Patient/${compartmentId}/${resourceType}`, query: req.query, offset: query.offset, count: query.count, pageSize: result.resources.length, total: result.total });
  return {
    outcome: allOk,
    resource: searchsetBundle(req.baseUrl, shapeResults(result.resources, parsed, services), result.included, links, result.total, parsed.unknown.length ? unknownParamsOutcome(parsed.unknown) : undefined),
  };
};

export type { FhirServices };
