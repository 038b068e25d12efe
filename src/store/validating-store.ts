// A ResourceStore decorator that validates every create and update (base R4 plus claimed profiles) before it is written. https://hl7.org/fhir/R4/validation.html
import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { invalidResource, isErrorOutcome } from '../fhir/outcomes.js';
import type { ResourceStore } from './resource-store.js';

/** Used by import paths, which write through the store rather than the REST handlers that validate themselves. */
export function createValidatingStore(inner: ResourceStore, validate: (resource: Resource) => OperationOutcome): ResourceStore {
  const check = (r: Resource): void => {
    const outcome = validate(r);
    if (isErrorOutcome(outcome)) throw new OperationOutcomeError(invalidResource((outcome.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal')));
  };
  return {
    ...inner,
    create(resource) {
      check(resource);
      return inner.create(resource);
    },
    ...(inner.createAbsent
      ? {
          createAbsent(resources: Resource[]) {
            // Every one is checked before any is written: an invalid resource refuses the whole call.
            resources.forEach(check);
            return inner.createAbsent!(resources);
          },
        }
      : {}),
    update(resource, options) {
      check(resource);
      return inner.update(resource, options);
    },
    transaction(fn) {
      return inner.transaction((tx) => fn(createValidatingStore(tx, validate)));
    },
  };
}
