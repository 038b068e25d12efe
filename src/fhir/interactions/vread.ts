// FHIR vread interaction, with _summary/_elements like read. https://hl7.org/fhir/R4/http.html#vread
import { allOk, notFound, OperationOutcomeError } from '@medplum/core';
import type { FhirHandler } from '../types.js';
import { shapeRead } from './read.js';
import { readAnswer } from './binary-content.js';

export const vread: FhirHandler = async (req, { store, services }) => {
  const { resourceType, id, vid } = req.params;
  const resource = await store.vread(resourceType, id, vid);
  if (!resource) throw new OperationOutcomeError(notFound);
  return { outcome: allOk, ...readAnswer(req, resource, (r) => shapeRead(req, r, services)) };
};
