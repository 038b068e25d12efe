// FHIR $validate operation at type and instance level. https://hl7.org/fhir/R4/resource-operation-validate.html
import { allOk, badRequest, OperationOutcomeError } from '@medplum/core';
import type { OperationDefinition, Parameters, Resource } from '@medplum/fhirtypes';
import type { OperationRoute } from '../operations.js';
import type { FhirHandler } from '../types.js';
import { requireReferencesResolve } from '../interactions/references.js';
import { toOutcome } from '../outcomes.js';

const definition: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'Resource-validate',
  url: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
  name: 'Validate',
  status: 'active',
  kind: 'operation',
  code: 'validate',
  resource: ['Resource' as never],
  system: false,
  type: true,
  instance: true,
  parameter: [
    { name: 'resource', use: 'in', min: 0, max: '1', type: 'Resource' },
    { name: 'mode', use: 'in', min: 0, max: '1', type: 'code' },
    { name: 'profile', use: 'in', min: 0, max: '1', type: 'uri' },
    { name: 'return', use: 'out', min: 1, max: '1', type: 'OperationOutcome' },
  ],
};

function unwrap(body: unknown): { resource?: Resource; profile?: string; mode?: string } {
  const b = body as Resource | undefined;
  if (b?.resourceType === 'Parameters') {
    const p = (b as Parameters).parameter ?? [];
    return {
      resource: p.find((x) => x.name === 'resource')?.resource,
      profile: p.find((x) => x.name === 'profile')?.valueUri ?? p.find((x) => x.name === 'profile')?.valueCanonical,
      mode: p.find((x) => x.name === 'mode')?.valueCode,
    };
  }
  return { resource: b };
}

const Modes = ['create', 'update', 'delete', 'profile'];

const handler: FhirHandler = async (req, { store, services }) => {
  const { resourceType, id } = req.params;
  const { resource: given, profile: bodyProfile, mode: bodyMode } = unwrap(req.body);
  const mode = req.query.mode?.[0] ?? bodyMode;
  if (mode !== undefined && !Modes.includes(mode)) throw new OperationOutcomeError(badRequest(`mode must be one of ${Modes.join(', ')}`, 'mode'));
  const resource = given ?? (id ? await store.read(resourceType, id) : undefined);
  if (!resource) throw new OperationOutcomeError(badRequest('$validate needs a resource in the body (or Parameters.resource)', 'resource'));
  if (resource.resourceType !== resourceType) {
    throw new OperationOutcomeError(badRequest(`The resource type '${resource.resourceType}' does not match the URL's '${resourceType}'`, 'resourceType'));
  }
  const outcome = services.validate(resource, { profileUrl: req.query.profile?.[0] ?? bodyProfile });
  const found = [...(outcome.issue ?? [])];
  // A create or update would refuse unresolvable references; $validate says so too (the default mode judges as a write).
  if (mode !== 'profile' && mode !== 'delete') {
    await requireReferencesResolve(store, resource).catch((err: unknown) => {
      found.push(...(toOutcome(err).issue ?? []));
    });
  }
  const issues = found.length ? found : allOk.issue;
  // $validate answers 200 with the findings; the findings themselves say whether the resource is valid.
  return { outcome: allOk, resource: { resourceType: 'OperationOutcome', issue: issues } };
};

export const validateOperation: OperationRoute = {
  name: 'validate',
  definition,
  typeLevel: '*',
  instanceLevel: '*',
  affectsState: false,
  scope: 'r',
  handler,
};
