// The database could not answer in time (down, restarting, frozen, overloaded, or the statement timed out): 503 with no data, never 500. https://hl7.org/fhir/R4/operationoutcome.html
import { OperationOutcomeError } from '@medplum/core';
import { AsyncLocalStorage } from 'node:async_hooks';
import { serviceUnavailable } from '../../fhir/outcomes.js';

export class DatabaseUnavailable extends OperationOutcomeError {
  constructor(reason: string) {
    super(serviceUnavailable(`The database is unavailable (${reason}); no data was read or changed. Try again later.`));
  }
}

/**
 * The abort signal of the HTTP request being served, so the store can cancel its queries when the client goes away
 * without every layer in between passing it on.
 */
const requestSignal = new AsyncLocalStorage<AbortSignal>();

export function runWithRequestSignal<T>(signal: AbortSignal, fn: () => T): T {
  return requestSignal.run(signal, fn);
}

export function currentRequestSignal(): AbortSignal | undefined {
  return requestSignal.getStore();
}
