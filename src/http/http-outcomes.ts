// Outcomes the HTTP adapter needs that carry no request detail.
import { notFound } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
export { payloadTooLarge } from '../fhir/outcomes.js';

export const serverErrorOutcome: OperationOutcome = {
  resourceType: 'OperationOutcome',
  id: 'server-error',
  issue: [{ severity: 'error', code: 'exception', details: { text: 'Internal server error' } }],
};

export function routeNotFound(path: string): OperationOutcome {
  return { ...notFound, issue: [{ severity: 'error', code: 'not-found', details: { text: `No endpoint at ${path}` } }] };
}
