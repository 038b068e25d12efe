// The registry of FHIR operations ($name) the gateway serves; it drives routing and the CapabilityStatement. https://hl7.org/fhir/R4/operations.html
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { FhirHandler } from './types.js';

export interface OperationRoute {
  /** Name without the `$`. */
  name: string;
  /** Canonical URL of its OperationDefinition. */
  definition: OperationDefinition;
  /** Resource types it runs on ('*' = every served type), at type and/or instance level. */
  typeLevel?: readonly string[] | '*';
  instanceLevel?: readonly string[] | '*';
  systemLevel?: boolean;
  /** GET allowed only for operations that change nothing. */
  affectsState: boolean;
  /** SMART scope letter the operation needs on its resource type (r, s, c, u, d). */
  scope: 'r' | 's' | 'c' | 'u' | 'd';
  handler: FhirHandler;
}

export interface OperationRegistry {
  all(): readonly OperationRoute[];
  find(name: string, level: 'system' | 'type' | 'instance', resourceType?: string): OperationRoute | undefined;
}

export function createOperationRegistry(ops: readonly OperationRoute[]): OperationRegistry {
  const applies = (l: readonly string[] | '*' | undefined, t: string | undefined): boolean => !!l && !!t && (l === '*' || l.includes(t));
  return {
    all: () => ops,
    find(name, level, resourceType) {
      return ops.find(
        (o) =>
          o.name === name &&
          ((level === 'system' && o.systemLevel) ||
            (level === 'type' && applies(o.typeLevel, resourceType)) ||
            (level === 'instance' && applies(o.instanceLevel, resourceType))),
      );
    },
  };
}
