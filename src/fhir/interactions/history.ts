// FHIR history interactions (instance and type level). https://hl7.org/fhir/R4/http.html#history
import { allOk, badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import { historyBundle, pagingLinks } from '../bundles.js';
import type { FhirHandler, FhirRequest, FhirServices } from '../types.js';
import { dateProblem } from '../dates.js';
import { pageWindow } from './page-window.js';

function sinceOf(req: FhirRequest): string | undefined {
  const since = req.query._since?.[0];
  // An instant (or a whole day); Date.parse would take '1' or 2026-02-30 and quietly mean something else.
  const problem = since === undefined ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(since) ? dateProblem(since, 'date') : dateProblem(since, 'instant');
  if (problem) {
    throw new OperationOutcomeError(badRequest(`Invalid _since: ${problem}`, '_since'));
  }
  for (const k of Object.keys(req.query)) {
    if (!['_since', '_count', '_offset', '_format'].includes(k)) {
      throw new OperationOutcomeError(badRequest(`Unknown history parameter '${k}'`, k));
    }
  }
  return since;
}

async function history(req: FhirRequest, store: Parameters<FhirHandler>[1]['store'], services: FhirServices, id?: string) {
  const { resourceType } = req.params;
  const since = sinceOf(req);
  const { count, offset } = pageWindow(req.query, services.maxCount, services.maxOffset);
  const result = await store.history({ resourceType, id, since, count, offset });
  if (id && result.total === 0) throw new OperationOutcomeError(notFound);
  const path = id ? `${resourceType}/${id}/_history` : `${resourceType}/_history`;
  const links = pagingLinks({ baseUrl: req.baseUrl, path, query: req.query, offset, count, pageSize: result.entries.length, total: result.total });
  return { outcome: allOk, resource: historyBundle(req.baseUrl, result.entries, links, result.total) };
}

export const historyInstance: FhirHandler = (req, { store, services }) => history(req, store, services, req.params.id);
export const historyType: FhirHandler = (req, { store, services }) => history(req, store, services);
