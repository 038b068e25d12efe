// Snapshot generation from differential profiles.
import type { StructureDefinition } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import type { R4Definitions } from './r4-definitions.js';
import { loadR4Definitions } from './r4-definitions.js';
import { generateSnapshot } from './snapshot.js';

let r4: R4Definitions;
beforeAll(() => {
  r4 = loadR4Definitions();
});

function profile(type: string, element: NonNullable<StructureDefinition['differential']>['element']): StructureDefinition {
  return {
    resourceType: 'StructureDefinition',
    url: `https://example.org/StructureDefinition/${type}-test`,
    name: `${type}Test`,
    status: 'draft',
    kind: 'resource',
    abstract: false,
    type,
    baseDefinition: `http://hl7.org/fhir/StructureDefinition/${type}`,
    derivation: 'constraint',
    differential: { element },
  };
}

function snapshotOf(sd: StructureDefinition): Map<string | undefined, NonNullable<StructureDefinition['snapshot']>['element'][number]> {
  const base = r4.structureDefinition(sd.baseDefinition as string) as StructureDefinition;
  const { structureDefinition } = generateSnapshot(sd, base, r4.typeDefinition);
  return new Map(structureDefinition.snapshot?.element.map((e) => [e.id, e]));
}

describe('generateSnapshot', () => {
  test('cardinality, binding and mustSupport replace the base values; constraints are added', () => {
    const byId = snapshotOf(
      profile('Encounter', [
        { id: 'Encounter.serviceProvider', path: 'Encounter.serviceProvider', min: 1, mustSupport: true },
        { id: 'Encounter.class', path: 'Encounter.class', binding: { strength: 'required', valueSet: 'https://example.org/ValueSet/x' } },
        { id: 'Encounter', path: 'Encounter', constraint: [{ key: 'x-1', severity: 'error', human: 'h', expression: 'true' }] },
      ])
    );
    expect(byId.get('Encounter.serviceProvider')).toMatchObject({ min: 1, max: '1', mustSupport: true });
    expect(byId.get('Encounter.class')?.binding).toEqual({ strength: 'required', valueSet: 'https://example.org/ValueSet/x' });
    const keys = byId.get('Encounter')?.constraint?.map((c) => c.key);
    expect(keys).toContain('dom-2');
    expect(keys).toContain('x-1');
  });

  test('children of a complex type are expanded from the data type definition', () => {
    const byId = snapshotOf(profile('Patient', [{ id: 'Patient.identifier.system', path: 'Patient.identifier.system', min: 1, fixedUri: 'urn:oid:1.2.246.21' }]));
    expect(byId.get('Patient.identifier.value')).toMatchObject({ path: 'Patient.identifier.value', base: { path: 'Identifier.value' } });
    expect(byId.get('Patient.identifier.system')).toMatchObject({ min: 1, fixedUri: 'urn:oid:1.2.246.21' });
  });

  test('slices come after the sliced element and its children, with their own children', () => {
    const sd = profile('Patient', [
      { id: 'Patient.identifier', path: 'Patient.identifier', slicing: { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' } },
      { id: 'Patient.identifier:hetu', path: 'Patient.identifier', sliceName: 'hetu', min: 1, max: '1' },
      { id: 'Patient.identifier:hetu.system', path: 'Patient.identifier.system', min: 1, fixedUri: 'urn:oid:1.2.246.21' },
    ]);
    const base = r4.structureDefinition(sd.baseDefinition as string) as StructureDefinition;
    const ids = generateSnapshot(sd, base, r4.typeDefinition).structureDefinition.snapshot?.element.map((e) => e.id) ?? [];
    expect(ids.indexOf('Patient.identifier:hetu')).toBe(ids.indexOf('Patient.identifier') + 1);
    expect(ids).toContain('Patient.identifier:hetu.system');
    expect(ids.indexOf('Patient.active')).toBeGreaterThan(ids.indexOf('Patient.identifier:hetu.system'));
  });

  test('a type-specific choice name narrows the choice element', () => {
    const byId = snapshotOf(profile('Observation', [{ id: 'Observation.valueQuantity', path: 'Observation.valueQuantity', min: 1 }]));
    expect(byId.get('Observation.value[x]')).toMatchObject({ min: 1, type: [{ code: 'Quantity' }] });
  });

  test('an element the base does not have is an error naming it', () => {
    expect(() => snapshotOf(profile('Patient', [{ id: 'Patient.shoeSize', path: 'Patient.shoeSize', min: 1 }]))).toThrow(/Patient\.shoeSize/);
  });
});
