// FHIR read interaction. https://hl7.org/fhir/R4/http.html#read
import { allOk, gone, notFound, notModified, OperationOutcomeError } from '@medplum/core';
import type { FhirHandler } from '../types.js';
import { etagMatches } from './etag.js';

export const read: FhirHandler = async (req, { store }) => {
  const { resourceType, id } = req.params;
  const resource = await store.read(resourceType, id);
  if (!resource) {
    throw new OperationOutcomeError((await store.isDeleted(resourceType, id)) ? gone : notFound);
  }
  if (req.headers.ifNoneMatch && etagMatches(req.headers.ifNoneMatch, resource.meta?.versionId)) {
    return { outcome: notModified };
  }
  return { outcome: allOk, resource };
};
