// FHIR Patient/$everything: the patient's compartment, through the same guarded store as any search. https://hl7.org/fhir/R4/patient-operation-everything.html
import { allOk, notFound, OperationOutcomeError } from '@medplum/core';
import type { OperationDefinition, Resource } from '@medplum/fhirtypes';
import { searchsetBundle } from '../bundles.js';
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
  parameter: [{ name: 'return', use: 'out', min: 1, max: '1', type: 'Bundle' }],
};

/** Bounds the answer; a larger record is paged through ordinary searches. */
const MaxPerType = 1000;

const handler: FhirHandler = async (req, { store, services }) => {
  const { id } = req.params;
  const patient = await store.read('Patient', id);
  if (!patient) throw new OperationOutcomeError(notFound);
  const found: Resource[] = [patient];
  for (const resourceType of services.patientCompartmentTypes()) {
    if (resourceType === 'Patient') continue;
    const result = await store.search({
      resourceType,
      where: [{ kind: 'compartment', compartment: 'Patient', id }],
      sort: [],
      count: MaxPerType,
      offset: 0,
      total: 'none',
      include: [],
      revinclude: [],
    });
    found.push(...result.resources);
  }
  return { outcome: allOk, resource: searchsetBundle(req.baseUrl, found, [], [{ relation: 'self', url: `${req.baseUrl}/Patient/${id}/$everything` }], found.length) };
};

export const everythingOperation: OperationRoute = {
  name: 'everything',
  definition,
  instanceLevel: ['Patient'],
  affectsState: false,
  scope: 'r',
  handler,
};
