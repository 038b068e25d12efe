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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (text: string, expression: string): never => {
  throw new OperationOutcomeError(badRequest(text, expression));
};

/** The resource and profile of a Parameters body, each of the type the OperationDefinition gives, or 400. */
function unwrap(body: unknown): { resource?: Resource; profile?: string; mode?: string } {
  if (body === undefined) return {};
  if (!isObject(body)) fail('$validate needs a resource or a Parameters resource as a JSON object', 'resource');
  const b = body as Resource;
  if (b.resourceType !== 'Parameters') return { resource: b };
  const params = (b as Parameters).parameter as unknown;
  if (params !== undefined && !Array.isArray(params)) fail('Parameters.parameter must be an array', 'Parameters.parameter');
  const list = (params ?? []) as unknown[];
  list.forEach((p, i) => {
    if (!isObject(p) || typeof p.name !== 'string') fail(`Parameters.parameter[${i}] must be an object with a name`, `Parameters.parameter[${i}]`);
  });
  const named = (name: string) => (list as Array<Record<string, unknown>>).findIndex((p) => p.name === name);
  const r = named('resource');
  const resource = r >= 0 ? (list[r] as Record<string, unknown>).resource : undefined;
  if (r >= 0 && !isObject(resource)) fail("The 'resource' parameter must carry a resource", `Parameters.parameter[${r}].resource`);
  const pi = named('profile');
  const pp = pi >= 0 ? (list[pi] as Record<string, unknown>) : undefined;
  const profile = pp?.valueUri ?? pp?.valueCanonical;
  if (pp && typeof profile !== 'string') fail("The 'profile' parameter must be a valueUri or valueCanonical string", `Parameters.parameter[${pi}]`);
  const m = named('mode');
  const mode = m >= 0 ? (list[m] as Record<string, unknown>).valueCode : undefined;
  if (m >= 0 && typeof mode !== 'string') fail("The 'mode' parameter must be a valueCode", `Parameters.parameter[${m}]`);
  return { resource: resource as Resource | undefined, profile: profile as string | undefined, mode: mode as string | undefined };
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
