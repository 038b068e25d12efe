// Checks a request body is the resource the URL names, before validation. https://hl7.org/fhir/R4/http.html#create
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { invalidResource, isErrorOutcome } from '../outcomes.js';
import type { FhirServices } from '../types.js';
import type { ResourceStore } from '../../store/resource-store.js';

export function requireResourceBody(body: unknown, resourceType: string): Resource {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new OperationOutcomeError(badRequest('The request body must be a FHIR resource as a JSON object'));
  }
  const rt = (body as { resourceType?: unknown }).resourceType;
  if (typeof rt !== 'string') throw new OperationOutcomeError(badRequest('The resource has no resourceType', 'resourceType'));
  if (rt !== resourceType) {
    throw new OperationOutcomeError(badRequest(`The resource type '${rt}' does not match the URL's '${resourceType}'`, 'resourceType'));
  }
  return body as Resource;
}

/** Rejects the write with every error issue the validator found; nothing is stored. */
export function requireValid(services: FhirServices, resource: Resource): void {
  const outcome = services.validate(resource);
  if (isErrorOutcome(outcome)) throw new OperationOutcomeError(invalidResource(outcome.issue ?? []));
}

/**
 * Asks the store whether the caller may make this write (a refusal is a 403 naming its rule, before any question about
 * references the caller cannot see), then validates what would be stored, server-set facts included. Malformed input
 * the permission check cannot even read is answered by validation of the body as sent.
 */
export async function authorizeAndValidate<T extends Resource>(store: ResourceStore, services: FhirServices, op: 'create' | 'update', resource: T): Promise<T> {
  let prepared: T;
  try {
    prepared = (await store.checkWrite?.(op, resource)) ?? resource;
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) requireValid(services, resource);
    throw err;
  }
  requireValid(services, prepared);
  return prepared;
}
