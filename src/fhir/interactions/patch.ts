// FHIR patch interaction: JSON Patch (RFC 6902) or FHIRPath Patch, then validated and written exactly like an update. https://hl7.org/fhir/R4/http.html#patch
import { allOk, badRequest, gone, notFound, OperationOutcomeError, preconditionFailed } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import jsonPatch from 'fast-json-patch';
import { applyFhirPathPatch } from '../fhirpath-patch.js';
import { unprocessable } from '../outcomes.js';
import type { FhirHandler } from '../types.js';
import { etagMatches } from './etag.js';
import { requireReferencesResolve } from './references.js';
import { authorizeAndValidate } from './resource-body.js';
import { patchDocument } from './patch-body.js';

const { applyPatch, validate, JsonPatchError } = jsonPatch;

/** RFC 6902 errors that mean "the document is malformed" (400) rather than "it does not apply here" (422). */
const MalformedPatch = new Set(['SEQUENCE_NOT_AN_ARRAY', 'OPERATION_NOT_AN_OBJECT', 'OPERATION_OP_INVALID', 'OPERATION_PATH_INVALID', 'OPERATION_FROM_REQUIRED', 'OPERATION_VALUE_REQUIRED', 'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED']);

function applyJsonPatch<T extends Resource>(resource: T, ops: unknown[]): T {
  const copy = structuredClone(resource);
  const invalid = validate(ops as jsonPatch.Operation[], copy);
  if (invalid) throw patchError(invalid);
  try {
    return applyPatch(copy, ops as jsonPatch.Operation[], false, true).newDocument;
  } catch (err) {
    throw patchError(err);
  }
}

function patchError(err: unknown): OperationOutcomeError {
  if (err instanceof JsonPatchError) {
    const where = err.index === undefined ? 'JSON Patch' : `JSON Patch operation ${err.index}`;
    const text = `${where}: ${err.name === 'TEST_OPERATION_FAILED' ? 'test failed' : err.message.split('\n')[0]}`;
    return new OperationOutcomeError(MalformedPatch.has(err.name) ? badRequest(text) : unprocessable(text));
  }
  return new OperationOutcomeError(badRequest('The JSON Patch could not be applied'));
}

export const patch: FhirHandler = async (req, { store, services }) => {
  const { resourceType, id } = req.params;
  const body = patchDocument(req.body);
  const current = await store.read(resourceType, id);
  if (!current) throw new OperationOutcomeError((await store.isDeleted(resourceType, id)) ? gone : notFound);
  // Checked before patching too: a patch written against another version must not even be tried.
  if (req.headers.ifMatch && !etagMatches(req.headers.ifMatch, current.meta?.versionId)) throw new OperationOutcomeError(preconditionFailed);
  const patched = Array.isArray(body) ? applyJsonPatch(current, body) : applyFhirPathPatch(current, body);
  if (!patched || typeof patched !== 'object' || patched.resourceType !== resourceType || patched.id !== id) {
    throw new OperationOutcomeError(unprocessable('A patch may not change the resource type or id', 'id'));
  }
  const resource = await authorizeAndValidate(store, services, 'update', { ...patched, meta: { ...patched.meta, versionId: undefined, lastUpdated: undefined } } as Resource);
  if (!req.params.deferReferenceCheck) await requireReferencesResolve(store, resource);
  // The write is an update of the version read above, so a concurrent writer in between fails with 412.
  const stored = await store.update(resource, { ifMatch: current.meta?.versionId });
  return { outcome: allOk, resource: stored };
};
