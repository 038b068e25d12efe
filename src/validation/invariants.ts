// FHIRPath invariants @medplum/core skips or gets wrong, evaluated with the fhirpath package (R4 model). https://hl7.org/fhir/R4/conformance-rules.html#constraints
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { createProjector, createResultCache, namesRead, presenceOnly } from './invariant-cache.js';
import type { Language } from './language.js';
import { createIssue } from './messages.js';

export const ConsentScopeSystem = 'http://terminology.hl7.org/CodeSystem/consentscope' as const;

export type CompiledExpression = (node: unknown, env?: Record<string, unknown>) => unknown[];

/** Compiles once; `base` is the element path the expression is evaluated on (e.g. 'Consent.provision'). */
export function compileFhirPath(expression: string, base?: string): CompiledExpression {
  const compiled = fhirpath.compile(base ? { base, expression } : expression, r4Model);
  // The fhirpath package wraps every environment variable it is given on every call; most constraints use none.
  // The only variables the callers pass are %resource and %rootResource.
  const usesEnv = /%(resource|rootResource)\b/.test(expression);
  return (node, env) => (usesEnv ? compiled(node, env as Record<string, unknown>) : compiled(node)) as unknown[];
}

/** True when an invariant's result is the single boolean true (FHIR's definition of "met"). */
export function isInvariantMet(result: unknown[]): boolean {
  return result.length === 1 && result[0] === true;
}

interface SupplementaryInvariant {
  key: string;
  human: string;
  appliesTo: (resource: Resource) => boolean;
  evaluate: CompiledExpression;
  /** Cache key of a resource for this invariant, when its result depends only on the elements it names (invariant-cache.ts). */
  keyOf?: (resource: Resource, memo: Map<string, string>) => string;
}

/** Every consent runs ppc-2..ppc-5 and the fhirpath package is slow; their results depend on `scope` and whether there is a `patient`. */
function withKey(index: number, expression: string, cache: boolean): Pick<SupplementaryInvariant, 'keyOf'> {
  const reads = cache ? namesRead(expression) : undefined;
  if (!reads) return {};
  const project = createProjector(reads, presenceOnly(expression, reads));
  return { keyOf: (r, memo) => `${index}|${project(r, memo)}` };
}

/**
 * ppc-2..ppc-5 as published test system='something' and never fire; these are the corrected forms
 * (see ../shared/reference/CONSENT-AUDIT-STANDARDS.md): any of the four standard scopes needs a patient.
 */
const CORRECTED_CONSENT_INVARIANTS = [
  { key: 'ppc-2', scope: 'patient-privacy', human: 'IF Scope=privacy, there must be a patient' },
  { key: 'ppc-3', scope: 'research', human: 'IF Scope=research, there must be a patient' },
  { key: 'ppc-4', scope: 'adr', human: 'IF Scope=adr, there must be a patient' },
  { key: 'ppc-5', scope: 'treatment', human: 'IF Scope=treatment, there must be a patient' },
] as const;

/** Invariants medplum deliberately skips (typeschema/validation.ts skippedConstraintKeys) that R4 still requires. */
const SKIPPED_BY_MEDPLUM = [
  { key: 'dom-3', sd: 'DomainResource', appliesTo: (r: Resource) => Array.isArray((r as { contained?: unknown[] }).contained) },
  { key: 'org-1', sd: 'Organization', appliesTo: (r: Resource) => r.resourceType === 'Organization' },
] as const;

export interface SupplementaryInvariants {
  check(resource: Resource, language: Language): OperationOutcomeIssue[];
}

/** `coreDefinition` looks up an R4 core StructureDefinition by type name, to take the published expressions verbatim. */
export function createSupplementaryInvariants(
  coreDefinition: (type: string) => StructureDefinition | undefined,
  options: { cache?: boolean } = {}
): SupplementaryInvariants {
  const cache = options.cache ?? true;
  const results = createResultCache<{ met: boolean } | { error: string }>();
  const invariants: SupplementaryInvariant[] = [];
  for (const { key, scope, human } of CORRECTED_CONSENT_INVARIANTS) {
    const expression = `patient.exists() or scope.coding.where(system = '${ConsentScopeSystem}' and code = '${scope}').exists().not()`;
    invariants.push({
      key,
      human,
      appliesTo: (r) => r.resourceType === 'Consent',
      evaluate: compileFhirPath(expression),
      ...withKey(invariants.length, expression, cache),
    });
  }
  for (const { key, sd, appliesTo } of SKIPPED_BY_MEDPLUM) {
    const constraint = coreDefinition(sd)
      ?.snapshot?.element?.[0]
      ?.constraint?.find((c) => c.key === key);
    if (constraint?.expression) {
      invariants.push({
        key,
        human: constraint.human ?? key,
        appliesTo,
        evaluate: compileFhirPath(constraint.expression),
        ...withKey(invariants.length, constraint.expression, cache),
      });
    }
  }

  return {
    check(resource, language) {
      const issues: OperationOutcomeIssue[] = [];
      // One per resource: the invariants reading the same elements serialise each of them once.
      const memo = new Map<string, string>();
      for (const invariant of invariants) {
        if (!invariant.appliesTo(resource)) {
          continue;
        }
        const cacheKey = invariant.keyOf?.(resource, memo);
        let result = cacheKey === undefined ? undefined : results.get(cacheKey);
        if (!result) {
          try {
            result = { met: isInvariantMet(invariant.evaluate(resource, { resource, rootResource: resource })) };
          } catch (err) {
            result = { error: (err as Error).message };
          }
          if (cacheKey !== undefined) results.set(cacheKey, result);
        }
        if ('error' in result) {
          issues.push(
            createIssue('invariant-not-evaluated', language, resource.resourceType, {
              severity: 'warning',
              params: { key: invariant.key, detail: result.error },
            })
          );
          continue;
        }
        if (!result.met) {
          issues.push(
            createIssue('invariant', language, resource.resourceType, { params: { key: invariant.key, human: invariant.human } })
          );
        }
      }
      return issues;
    },
  };
}
