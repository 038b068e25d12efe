// Reads the project's conformance resources (profiles/, mappings/, conformance/) from JSON files. https://hl7.org/fhir/R4/conformance-module.html
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CodeSystem,
  ConceptMap,
  OperationDefinition,
  Resource,
  SearchParameter,
  StructureDefinition,
  ValueSet,
} from '@medplum/fhirtypes';

export interface ConformanceResources {
  structureDefinitions: StructureDefinition[];
  valueSets: ValueSet[];
  codeSystems: CodeSystem[];
  conceptMaps: ConceptMap[];
  searchParameters: SearchParameter[];
  operationDefinitions: OperationDefinition[];
}

/** Directories whose JSON files are instances (profiles/examples/) rather than definitions; never loaded as conformance. */
const EXAMPLE_DIRECTORY_NAMES = new Set(['examples', 'node_modules']);

function listJsonFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return []; // a directory nobody has filled yet is not an error
  }
  const files: string[] = [];
  for (const entry of entries) {
    const full = join(dir, entry);
    const stat = statSync(full);
    if (stat.isDirectory()) {
      if (!EXAMPLE_DIRECTORY_NAMES.has(entry)) {
        files.push(...listJsonFiles(full));
      }
    } else if (entry.endsWith('.json')) {
      files.push(full);
    }
  }
  return files;
}

function add(result: ConformanceResources, resource: Resource | undefined): void {
  switch (resource?.resourceType) {
    case 'StructureDefinition':
      result.structureDefinitions.push(resource);
      break;
    case 'ValueSet':
      result.valueSets.push(resource);
      break;
    case 'CodeSystem':
      result.codeSystems.push(resource);
      break;
    case 'ConceptMap':
      result.conceptMaps.push(resource);
      break;
    case 'SearchParameter':
      result.searchParameters.push(resource);
      break;
    case 'OperationDefinition':
      result.operationDefinitions.push(resource);
      break;
    case 'Bundle':
      for (const entry of resource.entry ?? []) {
        add(result, entry.resource);
      }
      break;
    default:
      break; // instances (examples) and other files are not conformance resources
  }
}

/**
 * Reads every *.json under the given directories (recursively, skipping examples/) and groups the
 * conformance resources by type, Bundles unpacked. Missing directories are skipped; malformed JSON
 * throws naming the file, so a broken profile stops the server at startup instead of disabling validation.
 */
export function loadConformanceResources(dirs: string[]): ConformanceResources {
  const result: ConformanceResources = {
    structureDefinitions: [],
    valueSets: [],
    codeSystems: [],
    conceptMaps: [],
    searchParameters: [],
    operationDefinitions: [],
  };
  for (const dir of dirs) {
    for (const file of listJsonFiles(dir)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`Malformed JSON in conformance file ${file}: ${(err as Error).message}`);
      }
      add(result, parsed as Resource);
    }
  }
  return result;
}
