// What validator tests share: the project's profiles, value sets and code systems with R4 loaded once, and the profile examples.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { ProjectRoot } from '../../src/project-root.js';
import { loadProjectConformance } from '../../src/validation/project-validator.js';
import { loadR4Definitions } from '../../src/validation/r4-definitions.js';
import type { ValidatorOptions } from '../../src/validation/validator.js';

export function projectValidatorOptions(): ValidatorOptions {
  const conformance = loadProjectConformance();
  return { profiles: conformance.structureDefinitions, valueSets: conformance.valueSets, codeSystems: conformance.codeSystems, r4: loadR4Definitions() };
}

/** profiles/examples/*.json, valid and invalid ones, in file-name order. */
export function profileExamples(): Resource[] {
  const dir = join(ProjectRoot, 'profiles', 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Resource);
}
