// FHIR vread interaction. https://hl7.org/fhir/R4/http.html#vread
import { allOk, notFound, OperationOutcomeError } from '@medplum/core';
import type { FhirHandler } from '../types.js';

export const vread: FhirHandler = async (req, { store }) => {
  const { resourceType, id, vid } = req.params;
  const resource = await store.vread(resourceType, id, vid);
  if (!resource) throw new OperationOutcomeError(notFound);
  return { outcome: allOk, resource };
};
