// The registry of FHIR operations ($name) the gateway serves; it drives routing and the CapabilityStatement. https://hl7.org/fhir/R4/operations.html
import type { OperationDefinition, OperationOutcome } from '@medplum/fhirtypes';
import { isArchiveOperator, type Principal, type RequestContext } from '../context.js';
import type { FhirHandler } from './types.js';

/** Who an operation may be reserved for, whatever the token's scopes say. */
export type OperationCallers = 'archive-operator';

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
  /**
   * Reserves the operation for one kind of caller; absent = anyone its scope letter and the consent rules allow. The
   * pipeline refuses everyone else before the handler runs, so the refusal depends only on who calls, never on the
   * input or the data (D11), and handlers need no role checks of their own.
   */
  callers?: OperationCallers;
  handler: FhirHandler;
}

const Callers: Record<OperationCallers, { may: (p: Principal) => boolean; refusal: Record<RequestContext['language'], string>; documentation: string }> = {
  'archive-operator': {
    may: isArchiveOperator,
    refusal: {
      fi: 'on vain arkiston ylläpitäjän käytössä (kanta_role system ilman organization-väitettä)',
      sv: 'får bara användas av arkivets operatör (kanta_role system utan organization-påstående)',
      en: 'is only for the archive operator (kanta_role system without organization)',
    },
    documentation: 'Only the archive operator (kanta_role system without organization) may run it; every other caller gets 403.',
  },
};

/** The 403 for a caller the operation is not reserved for, in the caller's language; undefined when they may run it. */
export function callerRefusal(op: OperationRoute, principal: Principal, language: RequestContext['language']): OperationOutcome | undefined {
  if (!op.callers || Callers[op.callers].may(principal)) return undefined;
  return {
    resourceType: 'OperationOutcome',
    id: 'forbidden',
    issue: [{ severity: 'error', code: 'forbidden', details: { text: `$${op.name} ${Callers[op.callers].refusal[language]}` } }],
  };
}

/** What the CapabilityStatement says about who may run the operation (absent when its scopes alone decide). */
export function callersDocumentation(op: OperationRoute): string | undefined {
  return op.callers && Callers[op.callers].documentation;
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
