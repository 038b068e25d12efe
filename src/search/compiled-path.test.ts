// Compiled search-parameter paths give exactly what the FHIRPath interpreter gives, on the generated population.
import { join } from 'node:path';
import { evalFhirPathTyped, parseFhirPath, toTypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { generatePopulation } from '../kanta/generator.js';
import { ProjectRoot } from '../project-root.js';
import { loadConformanceResources } from '../validation/load-profiles.js';
import { compilePath } from './compiled-path.js';
import { createSearchRegistry } from './registry.js';

describe('compiled search-parameter paths', () => {
  const conformance = loadConformanceResources(['profiles', 'mappings', 'conformance'].map((d) => join(ProjectRoot, d)));
  const registry = createSearchRegistry(conformance.searchParameters);
  const population: Resource[] = [...generatePopulation({ seed: 7, patients: 60, asOf: '2025-06-01' })].flat();

  test('every compiled parameter of every generated resource evaluates to the interpreter\'s values', () => {
    let compared = 0;
    let nonEmpty = 0;
    const compiledParams = new Set<string>();
    for (const resource of population) {
      const input = toTypedValue(resource);
      for (const sp of registry.forType(resource.resourceType)) {
        const atom = registry.expressionFor(resource.resourceType, sp);
        const compiled = atom && compilePath(atom);
        if (!atom || !compiled) continue;
        compiledParams.add(`${resource.resourceType}.${sp.code}`);
        const expected = evalFhirPathTyped(atom, [input]);
        expect(compiled(input), `${resource.resourceType}/${resource.id} ${sp.code}: ${atom.original}`).toEqual(expected);
        compared++;
        if (expected.length) nonEmpty++;
      }
    }
    // The population exercises the common parameters (identifiers, names, references, dates, codes).
    expect(population.length).toBeGreaterThan(500);
    expect(nonEmpty).toBeGreaterThan(population.length);
    expect(compared).toBeGreaterThan(nonEmpty);
    for (const p of ['Patient.identifier', 'Patient.name', 'Patient.birthdate', 'Encounter.subject', 'DocumentReference.type', 'Consent.patient']) {
      expect(compiledParams.has(p), p).toBe(true);
    }
  });

  test('paths and unions compile; functions, casts and variables are left to the interpreter', () => {
    expect(compilePath(parseFhirPath('Patient.name.given | Patient.name.family'))).toBeDefined();
    expect(compilePath(parseFhirPath("Patient.telecom.where(system='phone')"))).toBeUndefined();
    expect(compilePath(parseFhirPath('(Observation.value as Quantity)'))).toBeUndefined();
    expect(compilePath(parseFhirPath('%resource.id'))).toBeUndefined();
    // Duplicates across a union collapse as in the interpreter; values come out unwrapped.
    const patient = toTypedValue({ resourceType: 'Patient', name: [{ family: 'Virtanen', given: ['Aino'] }], birthDate: '1980-01-01' });
    const atom = parseFhirPath('Patient.name.family | Patient.name.family | Patient.birthDate');
    expect(compilePath(atom)!(patient).map((v) => v.value)).toEqual(['Virtanen', '1980-01-01']);
    expect(compilePath(atom)!(patient)).toEqual(evalFhirPathTyped(atom, [patient]));
  });
});
