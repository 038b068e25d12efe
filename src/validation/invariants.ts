// FHIRPath invariants @medplum/core skips or gets wrong, evaluated with the fhirpath package (R4 model). https://hl7.org/fhir/R4/conformance-rules.html#constraints
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
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
  coreDefinition: (type: string) => StructureDefinition | undefined
): SupplementaryInvariants {
  const invariants: SupplementaryInvariant[] = [];
  for (const { key, scope, human } of CORRECTED_CONSENT_INVARIANTS) {
    invariants.push({
      key,
      human,
      appliesTo: (r) => r.resourceType === 'Consent',
      evaluate: compileFhirPath(
        `patient.exists() or scope.coding.where(system = '${ConsentScopeSystem}' and code = '${scope}').exists().not()`
      ),
    });
  }
  for (const { key, sd, appliesTo } of SKIPPED_BY_MEDPLUM) {
    const constraint = coreDefinition(sd)
      ?.snapshot?.element?.[0]
      ?.constraint?.find((c) => c.key === key);
    if (constraint?.expression) {
      invariants.push({ key, human: constraint.human ?? key, appliesTo, evaluate: compileFhirPath(constraint.expression) });
    }
  }

  return {
    check(resource, language) {
      const issues: OperationOutcomeIssue[] = [];
      for (const invariant of invariants) {
        if (!invariant.appliesTo(resource)) {
          continue;
        }
        let met: boolean;
        try {
          met = isInvariantMet(invariant.evaluate(resource, { resource, rootResource: resource }));
        } catch (err) {
          issues.push(
            createIssue('invariant-not-evaluated', language, resource.resourceType, {
              severity: 'warning',
              params: { key: invariant.key, detail: (err as Error).message },
            })
          );
          continue;
        }
        if (!met) {
          issues.push(
            createIssue('invariant', language, resource.resourceType, { params: { key: invariant.key, human: invariant.human } })
          );
        }
      }
      return issues;
    },
  };
}
