// FHIR delete and conditional delete (single match), for the types that declare delete. https://hl7.org/fhir/R4/http.html#delete
import { allOk, multipleMatches, notFound, OperationOutcomeError } from '@medplum/core';
import type { FhirHandler } from '../types.js';
import { conditionalMatches } from './conditional.js';

export const deleteResource: FhirHandler = async (req, { store }) => {
  const { resourceType, id } = req.params;
  const current = await store.read(resourceType, id);
  if (!current) throw new OperationOutcomeError(notFound);
  await store.delete(resourceType, id);
  return { outcome: allOk };
};

/** DELETE [type]?criteria: exactly one match is deleted; none is 404 and several 412 (conditionalDelete "single"). */
export const conditionalDelete: FhirHandler = async (req, { store, services }) => {
  const { resourceType } = req.params;
  const matches = await conditionalMatches(store, services, resourceType, req.query, 'delete');
  if (matches.length > 1) throw new OperationOutcomeError(multipleMatches);
  if (matches.length === 0) throw new OperationOutcomeError(notFound);
  const id = matches[0].id as string;
  await store.delete(resourceType, id);
  // The URL names no resource: the AuditEvent learns which one went from here.
  return { outcome: allOk, targets: [{ resourceType, id }] };
};
