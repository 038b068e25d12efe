// The patch document a PATCH carries: a JSON Patch array, a FHIRPath Patch Parameters, or a Binary holding JSON Patch (a Bundle entry's form). https://hl7.org/fhir/R4/http.html#patch
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Binary, Parameters } from '@medplum/fhirtypes';
import { isFhirPathPatch } from '../fhirpath-patch.js';

const JsonPatchType = 'application/json-patch+json';
const Base64 = /^[A-Za-z0-9+/]*={0,2}$/;

const fail = (text: string, expression?: string): never => {
  throw new OperationOutcomeError(badRequest(text, expression));
};

/**
 * A Bundle entry can carry only a resource, so JSON Patch travels in a transaction or batch as a Binary with
 * contentType application/json-patch+json and the patch base64 in `data` (R4 http.html#transaction). It is unwrapped
 * here so every PATCH, direct or in a Bundle, is applied by the same handler.
 */
export function patchDocument(body: unknown): unknown[] | Parameters {
  if (Array.isArray(body) || isFhirPathPatch(body)) return body;
  const binary = body as Partial<Binary> | undefined;
  if (!binary || typeof binary !== 'object' || binary.resourceType !== 'Binary') {
    return fail('PATCH needs a JSON Patch array (application/json-patch+json), a FHIRPath Patch Parameters resource, or in a Bundle a Binary holding a JSON Patch');
  }
  const contentType = typeof binary.contentType === 'string' ? binary.contentType.split(';')[0].trim().toLowerCase() : '';
  if (contentType !== JsonPatchType) fail(`A PATCH Binary must have contentType ${JsonPatchType}, not '${String(binary.contentType ?? '(none)').slice(0, 60)}'`, 'Binary.contentType');
  if (typeof binary.data !== 'string' || !Base64.test(binary.data)) fail('A PATCH Binary needs the JSON Patch base64-encoded in data', 'Binary.data');
  let ops: unknown;
  try {
    ops = JSON.parse(Buffer.from(binary.data as string, 'base64').toString('utf8'));
  } catch {
    return fail('The JSON Patch in Binary.data is not JSON', 'Binary.data');
  }
  if (!Array.isArray(ops)) fail('The JSON Patch in Binary.data must be an array of operations', 'Binary.data');
  return ops as unknown[];
}
