// FHIR delete interaction, for the types that declare it. https://hl7.org/fhir/R4/http.html#delete
import { allOk, notFound, OperationOutcomeError } from '@medplum/core';
import type { FhirHandler } from '../types.js';

export const deleteResource: FhirHandler = async (req, { store }) => {
  const { resourceType, id } = req.params;
  const current = await store.read(resourceType, id);
  if (!current) throw new OperationOutcomeError(notFound);
  await store.delete(resourceType, id);
  return { outcome: allOk };
};
