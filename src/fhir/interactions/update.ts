// FHIR update interaction; update-as-create is not offered so a withheld id answers like a missing one. https://hl7.org/fhir/R4/http.html#update
import { allOk, badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import type { FhirHandler } from '../types.js';
import { requireReferencesResolve } from './references.js';
import { authorizeAndValidate, requireResourceBody } from './resource-body.js';

export const update: FhirHandler = async (req, { store, services }) => {
  const { resourceType, id } = req.params;
  const body = requireResourceBody(req.body, resourceType);
  if (body.id !== id) {
    throw new OperationOutcomeError(badRequest(`The resource id '${body.id ?? ''}' does not match the URL id '${id}'`, 'id'));
  }
  const current = await store.read(resourceType, id);
  if (!current) throw new OperationOutcomeError(notFound);
  const prepared = await authorizeAndValidate(store, services, 'update', body);
  if (!req.params.deferReferenceCheck) await requireReferencesResolve(store, prepared);
  const stored = await store.update(prepared, { ifMatch: req.headers.ifMatch });
  return { outcome: allOk, resource: stored };
};
