// The real profiles/ with their valid and invalid examples (SPEC F2).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { loadConformanceResources } from '../../src/validation/load-profiles.js';
import { loadR4Definitions } from '../../src/validation/r4-definitions.js';
import { createValidator, isValid } from '../../src/validation/validator.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examplesDir = join(root, 'profiles', 'examples');
const conformance = loadConformanceResources(['profiles', 'mappings', 'conformance'].map((d) => join(root, d)));
const validator = createValidator({
  profiles: conformance.structureDefinitions,
  valueSets: conformance.valueSets,
  codeSystems: conformance.codeSystems,
  r4: loadR4Definitions(),
});

function examples(suffix: string): string[] {
  try {
    return readdirSync(examplesDir).filter((f) => f.endsWith(suffix)).sort();
  } catch {
    return [];
  }
}

function describeErrors(outcome: OperationOutcome): string {
  return (outcome.issue ?? [])
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${i.expression?.[0]}: ${i.details?.text}`)
    .join('\n');
}

describe('F2: the project profiles in profiles/, mappings/ and conformance/', () => {
  test('F2: every project StructureDefinition gets a snapshot and is known to the validator', () => {
    for (const sd of conformance.structureDefinitions) {
      expect(validator.hasProfile(sd.url as string), sd.url).toBe(true);
    }
    const served = validator.profiles();
    expect(served).toHaveLength(conformance.structureDefinitions.length);
    for (const sd of served) {
      expect(sd.snapshot?.element?.length, sd.url).toBeGreaterThan(0);
    }
  });

  test.each(examples('.valid.json'))('F2: valid example %s passes validation', (file) => {
    const resource = JSON.parse(readFileSync(join(examplesDir, file), 'utf8'));
    const outcome = validator.validate(resource);
    expect(describeErrors(outcome)).toBe('');
    expect(isValid(outcome)).toBe(true);
  });

  test.each(examples('.invalid.json'))('F2: invalid example %s fails validation with an explained error', (file) => {
    const resource = JSON.parse(readFileSync(join(examplesDir, file), 'utf8'));
    const outcome = validator.validate(resource);
    expect(isValid(outcome)).toBe(false);
    for (const issue of outcome.issue ?? []) {
      expect(issue.details?.text).toBeTruthy();
      expect(issue.code).toBeTruthy();
    }
  });
});
