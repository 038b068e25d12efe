// FHIR Patient/$everything: the patient's compartment and the content its records name, through the same guarded store as any search. https://hl7.org/fhir/R4/patient-operation-everything.html
import { allOk, badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { Condition, SearchQuery } from '../../store/resource-store.js';
import { pagingLinks, searchsetBundle } from '../bundles.js';
import { pageWindow } from '../interactions/page-window.js';
import { searchAcrossTypes } from '../interactions/search-system.js';
import type { OperationRoute } from '../operations.js';
import type { FhirHandler } from '../types.js';

const definition: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'Patient-everything',
  url: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
  name: 'Everything',
  status: 'active',
  kind: 'operation',
  code: 'everything',
  resource: ['Patient'],
  system: false,
  type: false,
  instance: true,
  parameter: [
    { name: '_since', use: 'in', min: 0, max: '1', type: 'instant' },
    { name: '_type', use: 'in', min: 0, max: '*', type: 'code' },
    { name: '_count', use: 'in', min: 0, max: '1', type: 'integer' },
    { name: 'return', use: 'out', min: 1, max: '1', type: 'Bundle' },
  ],
};

const Params = ['_count', '_offset', '_since', '_type', '_format', '_pretty', 'start', 'end'];

function sinceCondition(since: string | undefined): Condition[] {
  if (since === undefined) return [];
  if (Number.isNaN(Date.parse(since))) throw new OperationOutcomeError(badRequest(`Invalid _since instant '${since}'`, '_since'));
  return [{ kind: 'param', code: '_lastUpdated', values: [`ge${since}`] }];
}

/** The patient first, then each compartment type; `_type` narrows the types, `_since` the versions, `_count` pages. */
const handler: FhirHandler = async (req, { store, services }) => {
  const { id } = req.params;
  for (const k of Object.keys(req.query)) {
    if (!Params.includes(k)) throw new OperationOutcomeError(badRequest(`Unknown $everything parameter '${k}'`, k));
    if (k === 'start' || k === 'end') throw new OperationOutcomeError(badRequest(`$everything parameter '${k}' is not supported; use _since`, k));
  }
  const patient = await store.read('Patient', id);
  if (!patient) throw new OperationOutcomeError(notFound);
  const contentLinks = services.patientContentLinks?.() ?? [];
  const compartment = [...services.patientCompartmentTypes(), ...contentLinks.map((l) => l.resourceType)];
  const listed = req.query._type?.flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  for (const t of listed ?? []) {
    if (t !== 'Patient' && !compartment.includes(t)) throw new OperationOutcomeError(badRequest(`_type '${t}' is not in the Patient compartment of this server`, '_type'));
  }
  const types = ['Patient', ...compartment.filter((t) => t !== 'Patient')].filter((t) => !listed?.length || listed.includes(t));
  const { count, offset } = pageWindow({ _count: req.query._count ?? [String(services.maxCount)], _offset: req.query._offset ?? [] }, services.maxCount);
  const since = sinceCondition(req.query._since?.[0]);
  const query = (resourceType: string, where: Condition[]): SearchQuery => ({ resourceType, where: [...where, ...since], sort: [], count, offset: 0, total: 'none', include: [], revinclude: [] });
  const inCompartment: Condition = { kind: 'compartment', compartment: 'Patient', id };
  const where = (t: string): Condition[] => {
    if (t === 'Patient') return [{ kind: 'param', code: '_id', values: [id] }];
    // Content (a CDA's Binary) belongs to the patient through the record naming it; the store's policy still decides.
    const link = contentLinks.find((l) => l.resourceType === t);
    return [link ? { kind: 'has', sourceType: link.sourceType, refParam: link.refParam, next: inCompartment } : inCompartment];
  };
  const queries = types.map((t) => query(t, where(t)));
  const result = await searchAcrossTypes(store, queries, offset, count);
  const links = pagingLinks({ baseUrl: req.baseUrl, path: `Patient/${id}/$everything`, query: req.query, offset, count, pageSize: result.resources.length, total: result.total });
  return { outcome: allOk, resource: searchsetBundle(req.baseUrl, result.resources, [], links, result.total) };
};

export const everythingOperation: OperationRoute = {
  name: 'everything',
  definition,
  instanceLevel: ['Patient'],
  affectsState: false,
  scope: 'r',
  handler,
};
