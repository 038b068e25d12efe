// Observation/$lastn: the newest `max` Observations of each code, e.g. a wellness app's latest measurements. https://hl7.org/fhir/R4/observation-operation-lastn.html
import { allOk, badRequest, OperationOutcomeError } from '@medplum/core';
import type { Observation, OperationDefinition } from '@medplum/fhirtypes';
import { searchsetBundle } from '../bundles.js';
import type { OperationRoute } from '../operations.js';
import type { FhirHandler } from '../types.js';
import { isStrict } from '../interactions/search-type.js';

const definition: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'Observation-lastn',
  url: 'http://hl7.org/fhir/OperationDefinition/Observation-lastn',
  name: 'LastN',
  status: 'active',
  kind: 'operation',
  code: 'lastn',
  resource: ['Observation'],
  system: false,
  type: true,
  instance: false,
  parameter: [
    { name: 'max', use: 'in', min: 0, max: '1', type: 'positiveInt' },
    { name: 'return', use: 'out', min: 1, max: '1', type: 'Bundle' },
  ],
};

/** How far back $lastn looks, newest first: enough for a year of daily measurements of every kind. */
const Window = 5000;

const codeKey = (o: Observation): string => (o.code?.coding ?? []).map((c) => `${c.system ?? ''}|${c.code ?? ''}`).sort().join(',') || o.code?.text || '';

const handler: FhirHandler = async (req, { store, services }) => {
  const { max: maxParam, ...criteria } = req.query;
  const maxText = maxParam?.[0] ?? '1';
  if (!/^[1-9]\d*$/.test(maxText)) throw new OperationOutcomeError(badRequest(`max must be a positive integer, not '${maxText}'`, 'max'));
  const max = Number(maxText);
  if (!criteria.patient && !criteria.subject) throw new OperationOutcomeError(badRequest('$lastn needs patient (or subject)', 'patient'));
  const parsed = services.parseSearch('Observation', { ...criteria, _sort: ['-date'] }, isStrict(req));
  const result = await store.search({ ...parsed.query, count: Window, offset: 0, total: 'none', include: [], revinclude: [] });
  const perCode = new Map<string, Observation[]>();
  for (const o of result.resources as Observation[]) {
    const list = perCode.get(codeKey(o)) ?? [];
    if (list.length < max) list.push(o);
    perCode.set(codeKey(o), list);
  }
  const matches = [...perCode.values()].flat();
  return { outcome: allOk, resource: searchsetBundle(req.baseUrl, matches, [], [{ relation: 'self', url: `${req.baseUrl}/Observation/$lastn` }], matches.length) };
};

export const lastnOperation: OperationRoute = { name: 'lastn', definition, typeLevel: ['Observation'], affectsState: false, scope: 's', handler };
