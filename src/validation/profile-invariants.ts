// Invariants written in the project profiles, evaluated with the fhirpath package (R4 model). https://hl7.org/fhir/R4/profiling.html#constraints
import type { ElementDefinition, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { CompiledExpression } from './invariants.js';
import { compileFhirPath, isInvariantMet } from './invariants.js';
import type { Language } from './language.js';
import { createProjector, createResultCache, namesRead, presenceOnly, type Projector } from './invariant-cache.js';
import { createIssue } from './messages.js';

export { namesRead } from './invariant-cache.js';

const CORE_SOURCE = 'http://hl7.org/fhir/StructureDefinition/';

/**
 * True for constraints the project wrote (not inherited from the R4 core). These go to the fhirpath package:
 * @medplum/core 4.5 evaluates identifiers inside function arguments against the function's input instead of
 * the outer focus (`'abc'.substring(value.length())` inside `all()` gives ''), which breaks e.g. the profiles' HETU rules.
 */
export function isProjectConstraint(constraint: NonNullable<ElementDefinition['constraint']>[number]): boolean {
  return !constraint.source || !constraint.source.startsWith(CORE_SOURCE);
}

interface ElementInvariants {
  /** Path segments below the root ('name', 'family'); empty for the root. */
  segments: string[];
  /** The segments joined, for cache keys. */
  path: string;
  constraints: { key: string; human: string; evaluate: CompiledExpression; keyOf?: Projector }[];
}

export interface ProfileInvariants {
  check(resource: Resource, language: Language): OperationOutcomeIssue[];
}

function childValues(node: Record<string, unknown>, name: string): { key: string; values: unknown[]; many: boolean } {
  let key = name;
  if (name.endsWith('[x]')) {
    const prefix = name.slice(0, -3);
    key = Object.keys(node).find((k) => k.startsWith(prefix) && /^[A-Z]/.test(k.slice(prefix.length))) ?? prefix;
  }
  const raw = node[key];
  const many = Array.isArray(raw);
  const values = raw === undefined || raw === null ? [] : many ? raw : [raw];
  return { key, values, many };
}

/**
 * Compiles every project constraint of a snapshot once; slice-specific constraints are not evaluated (known gap).
 * `cache`: remember results by the part of the input a constraint can read (namesRead). Most constraints test codes
 * (meta.security, category, class) that repeat across thousands of imported records, and the fhirpath package is
 * slow; a test compares cached and uncached results.
 */
export function createProfileInvariants(snapshot: ElementDefinition[], options: { cache?: boolean } = {}): ProfileInvariants {
  const useCache = options.cache ?? true;
  const results = createResultCache<{ met: boolean } | { error: string }>();
  const elements: ElementInvariants[] = [];
  for (const element of snapshot) {
    const constraints = (element.constraint ?? []).filter((c) => c.severity === 'error' && c.expression && isProjectConstraint(c));
    if (constraints.length === 0 || (element.id ?? '').includes(':')) {
      continue;
    }
    const path = element.path as string;
    elements.push({
      segments: path.split('.').slice(1),
      path: path.split('.').slice(1).join('.'),
      constraints: constraints.map((c) => {
        const reads = useCache ? namesRead(c.expression as string) : undefined;
        return {
          key: c.key as string,
          human: c.human ?? '',
          evaluate: compileFhirPath(c.expression as string, path),
          keyOf: reads && createProjector(reads, presenceOnly(c.expression as string, reads)),
        };
      }),
    });
  }

  return {
    check(resource, language) {
      const issues: OperationOutcomeIssue[] = [];
      for (const { segments, path, constraints } of elements) {
        let nodes: { value: unknown; expression: string }[] = [{ value: resource, expression: resource.resourceType }];
        for (const segment of segments) {
          const next: typeof nodes = [];
          for (const node of nodes) {
            if (node.value && typeof node.value === 'object') {
              const { key, values, many } = childValues(node.value as Record<string, unknown>, segment);
              values.forEach((value, i) => next.push({ value, expression: `${node.expression}.${key}${many ? `[${i}]` : ''}` }));
            }
          }
          nodes = next;
        }
        for (const node of nodes) {
          const memo = new Map<string, string>();
          for (const [ci, constraint] of constraints.entries()) {
            const cacheKey = constraint.keyOf ? `${path}|${ci}|${constraint.keyOf(node.value, memo)}` : undefined;
            let result = cacheKey === undefined ? undefined : results.get(cacheKey);
            if (!result) {
              try {
                result = { met: isInvariantMet(constraint.evaluate(node.value, { resource, rootResource: resource })) };
              } catch (err) {
                result = { error: (err as Error).message };
              }
              if (cacheKey !== undefined) results.set(cacheKey, result);
            }
            if ('error' in result) {
              issues.push(
                createIssue('invariant-not-evaluated', language, node.expression, {
                  severity: 'warning',
                  params: { key: constraint.key, detail: result.error },
                })
              );
              continue;
            }
            const met = result.met;
            if (!met) {
              issues.push(createIssue('invariant', language, node.expression, { params: { key: constraint.key, human: constraint.human } }));
            }
          }
        }
      }
      return issues;
    },
  };
}
