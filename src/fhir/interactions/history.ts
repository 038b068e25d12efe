// FHIR history interactions (instance, type and system level) with _since, _at and paging. https://hl7.org/fhir/R4/http.html#history
import { allOk, badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import { historyBundle, pagingLinks } from '../bundles.js';
import type { FhirHandler, FhirRequest, FhirServices } from '../types.js';
import { dateProblem } from '../dates.js';
import { pageWindow } from './page-window.js';

const HistoryParams = ['_since', '_at', '_count', '_offset', '_format', '_pretty'];

function instant(name: string, v: string): number {
  const t = Date.parse(v);
  // Date.parse alone would take '1' or 2026-02-30 and quietly mean something else.
  // _since is an instant (a whole day is accepted too); _at may name a year or month as well.
  const partial = name === '_at' ? /^\d{4}(-\d{2}(-\d{2})?)?$/ : /^\d{4}-\d{2}-\d{2}$/;
  const problem = partial.test(v) ? dateProblem(v, 'date') : dateProblem(v, 'instant');
  if (problem || !/^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/.test(v) || Number.isNaN(t)) {
    throw new OperationOutcomeError(badRequest(`Invalid ${name} '${v}'${problem ? `: ${problem}` : ''}; use a FHIR date or dateTime`, name));
  }
  return t;
}

/** _at names a period by its precision: a year, month or day is the whole of it; a dateTime is that instant. */
function periodOf(v: string): { start: string; end: string } {
  const start = new Date(instant('_at', v));
  const end = new Date(start);
  if (v.length === 4) end.setUTCFullYear(end.getUTCFullYear() + 1);
  else if (v.length === 7) end.setUTCMonth(end.getUTCMonth() + 1);
  else if (v.length === 10) end.setUTCDate(end.getUTCDate() + 1);
  else end.setTime(end.getTime() + 1);
  return { start: start.toISOString(), end: end.toISOString() };
}

function filtersOf(req: FhirRequest): { since?: string; at?: { start: string; end: string } } {
  for (const k of Object.keys(req.query)) {
    if (!HistoryParams.includes(k)) throw new OperationOutcomeError(badRequest(`Unknown history parameter '${k}'`, k));
  }
  const since = req.query._since?.[0];
  const at = req.query._at?.[0];
  return {
    ...(since !== undefined ? { since: new Date(instant('_since', since)).toISOString() } : undefined),
    ...(at !== undefined ? { at: periodOf(at) } : undefined),
  };
}

async function history(req: FhirRequest, store: Parameters<FhirHandler>[1]['store'], services: FhirServices, level: 'instance' | 'type' | 'system') {
  const { resourceType, id } = req.params;
  const filters = filtersOf(req);
  const { count, offset } = pageWindow(req.query, services.maxCount, services.maxOffset);
  const result = await store.history({ resourceType: level === 'system' ? undefined : resourceType, id: level === 'instance' ? id : undefined, ...filters, count, offset });
  // An instance with no versions in the window is an empty Bundle; only a resource the caller never could see is 404.
  if (level === 'instance' && result.total === 0) {
    const exists = (await store.read(resourceType, id)) ?? (await store.isDeleted(resourceType, id));
    if (!exists || (!filters.since && !filters.at)) throw new OperationOutcomeError(notFound);
  }
  const path = level === 'instance' ? `${resourceType}/${id}/_history` : level === 'type' ? `${resourceType}/_history` : '_history';
  const links = pagingLinks({ baseUrl: req.baseUrl, path, query: req.query, offset, count, pageSize: result.entries.length, total: result.total });
  return { outcome: allOk, resource: historyBundle(req.baseUrl, result.entries, links, result.total) };
}

export const historyInstance: FhirHandler = (req, { store, services }) => history(req, store, services, 'instance');
export const historyType: FhirHandler = (req, { store, services }) => history(req, store, services, 'type');
export const historySystem: FhirHandler = (req, { store, services }) => history(req, store, services, 'system');
