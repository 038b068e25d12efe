// FHIR search interaction (GET and POST _search) with paging links, _summary and _elements. https://hl7.org/fhir/R4/search.html
import { allOk } from '@medplum/core';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { pagingLinks, searchsetBundle } from '../bundles.js';
import { selectElements, summarize } from '../elements.js';
import { summaryFields } from '../summary-elements.js';
import type { FhirHandler, FhirRequest, FhirServices, ParsedSearch } from '../types.js';

/** Prefer: handling=strict turns unknown parameters into 400; lenient (default) ignores and reports them. */
export function isStrict(req: FhirRequest): boolean {
  return /handling\s*=\s*strict/i.test(req.headers.prefer ?? '');
}

export function unknownParamsOutcome(unknown: string[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: unknown.map((p) => ({
      severity: 'warning',
      code: 'not-supported',
      details: { text: `Unknown search parameter '${p}' was ignored` },
      expression: [p],
    })),
  };
}

/** Applies _elements and _summary of a search to its matches. */
export function shapeResults(resources: Resource[], parsed: ParsedSearch, services: FhirServices): Resource[] {
  return resources.map((r) => {
    if (parsed.elements) return selectElements(r, parsed.elements);
    if (parsed.summary === 'true') return selectElements(r, summaryFields(r as unknown as Record<string, unknown>, services.summaryElements(r.resourceType)));
    return parsed.summary ? summarize(r, parsed.summary) : r;
  });
}

export const searchType: FhirHandler = async (req, { store, services }) => {
  const { resourceType } = req.params;
  const parsed = services.parseSearch(resourceType, req.query, isStrict(req));
  const { query } = parsed;
  const result = await store.search(query);
  const resources = shapeResults(result.resources, parsed, services);
  const links = pagingLinks({
    baseUrl: req.baseUrl,
    path: resourceType,
    query: req.query,
    offset: query.offset,
    count: query.count,
    pageSize: result.resources.length,
    total: result.total,
  });
  const outcome = parsed.unknown.length > 0 ? unknownParamsOutcome(parsed.unknown) : undefined;
  return { outcome: allOk, resource: searchsetBundle(req.baseUrl, resources, result.included, links, result.total, outcome) };
};
