// The gateway's validator: R4 plus the project's profiles, value sets and code systems, as every writer validates. https://hl7.org/fhir/R4/validation.html
import { join } from 'node:path';
import type { CodeableConcept, Resource } from '@medplum/fhirtypes';
import { equivalentPhrProfile } from '../pds/phr-kinds.js';
import { ProjectRoot } from '../project-root.js';
import { loadConformanceResources, type ConformanceResources } from './load-profiles.js';
import { createValidator, type Validator } from './validator.js';

export function loadProjectConformance(): ConformanceResources {
  return loadConformanceResources(['profiles', 'mappings', 'conformance'].map((d) => join(ProjectRoot, d)));
}

export function createProjectValidator(conformance: ConformanceResources = loadProjectConformance()): Validator {
  return createValidator({
    profiles: conformance.structureDefinitions,
    valueSets: conformance.valueSets,
    codeSystems: conformance.codeSystems,
    // Existing Kanta PHR apps declare Kanta's or HL7's canonicals; ours are the equivalents they are validated against.
    equivalentProfile: (url, resource) => equivalentPhrProfile(url, resource as Resource & { code?: CodeableConcept }),
  });
}
