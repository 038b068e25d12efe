// SPEC F2: every Kanta profile accepts its valid examples and rejects its invalid ones, for the reason the profile adds.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OperationOutcome, StructureDefinition } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProfileId, profileUrl } from '../../src/kanta/codes.js';
import { loadConformanceResources } from '../../src/validation/load-profiles.js';
import { createValidator, isValid, type Validator } from '../../src/validation/validator.js';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const examplesDir = root('profiles/examples');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
const errors = (o: OperationOutcome) => (o.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');

let validator: Validator;
let profiles: StructureDefinition[];
beforeAll(() => {
  const conformance = loadConformanceResources([root('profiles'), root('mappings')]);
  profiles = conformance.structureDefinitions;
  validator = createValidator({ profiles, valueSets: conformance.valueSets, codeSystems: conformance.codeSystems });
}, 60_000);

describe('Kanta profiles', () => {
  it('F2: every resource profile has at least one valid and one invalid example', () => {
    const resourceProfiles = Object.values(ProfileId);
    for (const id of resourceProfiles) {
      expect(examples, id).toContain(`${id}.valid.json`);
      expect(examples.some((f) => f.startsWith(`${id}.invalid`)), id).toBe(true);
    }
    expect(profiles.filter((p) => p.kind === 'resource').map((p) => p.id).sort()).toEqual([...resourceProfiles].sort());
  });

  it('F2: every profile is a differential constraint on the R4 core type', () => {
    for (const p of profiles) {
      expect(p.derivation).toBe('constraint');
      expect(p.fhirVersion).toBe('4.0.1');
      expect(p.baseDefinition).toMatch(/^http:\/\/hl7\.org\/fhir\/StructureDefinition\//);
    }
  });

  for (const file of examples.filter((f) => f.includes('.valid'))) {
    it(`F2: ${file} conforms to its profile`, () => {
      const resource = JSON.parse(readFileSync(`${examplesDir}/${file}`, 'utf8'));
      const outcome = validator.validate(resource, { profileUrl: profileUrl(file.split('.')[0]) });
      expect(errors(outcome), JSON.stringify(errors(outcome), null, 1)).toEqual([]);
    });
  }

  for (const file of examples.filter((f) => f.includes('.invalid'))) {
    it(`F2: ${file} is rejected with an error issue`, () => {
      const resource = JSON.parse(readFileSync(`${examplesDir}/${file}`, 'utf8'));
      const outcome = validator.validate(resource, { profileUrl: profileUrl(file.split('.')[0]) });
      expect(isValid(outcome)).toBe(false);
      expect(errors(outcome)[0].details?.text ?? errors(outcome)[0].diagnostics).toBeTruthy();
    });
  }

  it('F2: a bad HETU check character is reported by the kanta-pat-2 invariant', () => {
    const resource = JSON.parse(readFileSync(`${examplesDir}/kanta-patient.invalid.json`, 'utf8'));
    const text = JSON.stringify(errors(validator.validate(resource)));
    expect(text).toContain('kanta-pat-2');
  });
});
