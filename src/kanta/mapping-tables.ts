// The declarative Kanta mapping data in mappings/ (ConceptMaps, CodeSystems, field maps), typed for the mappers. https://hl7.org/fhir/R4/conceptmap.html
import type { CodeSystem, ConceptMap } from '@medplum/fhirtypes';
import cdaHeaderMapJson from '../../mappings/cda-header.map.json' with { type: 'json' };
import registerToKindJson from '../../mappings/ConceptMap-register-identifier-to-register-kind.json' with { type: 'json' };
import kindToRegisterJson from '../../mappings/ConceptMap-register-kind-to-register-identifier.json' with { type: 'json' };
import eventKindToClassJson from '../../mappings/ConceptMap-service-event-kind-to-encounter-class.json' with { type: 'json' };
import viewLocalToOfficialJson from '../../mappings/ConceptMap-view-local-to-official.json' with { type: 'json' };
import consentKindToScopeJson from '../../mappings/ConceptMap-consent-kind-to-scope.json' with { type: 'json' };
import registerKindCs from '../../mappings/CodeSystem-register-kind.json' with { type: 'json' };
import dataOriginCs from '../../mappings/CodeSystem-data-origin.json' with { type: 'json' };
import consentKindCs from '../../mappings/CodeSystem-consent-kind.json' with { type: 'json' };
import regionCs from '../../mappings/CodeSystem-region.json' with { type: 'json' };
import serviceTaskCs from '../../mappings/CodeSystem-social-service-task.json' with { type: 'json' };
import socialDocumentKindCs from '../../mappings/CodeSystem-social-document-kind.json' with { type: 'json' };
import viewCs from '../../mappings/CodeSystem-view.json' with { type: 'json' };
import patientMap from '../../mappings/records/patient.map.json' with { type: 'json' };
import organizationMap from '../../mappings/records/organization.map.json' with { type: 'json' };
import guardianMap from '../../mappings/records/guardian.map.json' with { type: 'json' };
import serviceEventMap from '../../mappings/records/service-event.map.json' with { type: 'json' };
import clientRelationshipMap from '../../mappings/records/client-relationship.map.json' with { type: 'json' };
import prescriptionMap from '../../mappings/records/prescription.map.json' with { type: 'json' };
import renewalRequestMap from '../../mappings/records/renewal-request.map.json' with { type: 'json' };
import consentMap from '../../mappings/records/consent.map.json' with { type: 'json' };

/** One field of a JSON record format (mappings/records/*.map.json). */
export interface FieldSpec {
  type: 'string' | 'oid' | 'hetu' | 'date' | 'dateTime' | 'code' | 'boolean' | 'integer' | 'object' | 'array';
  required?: boolean;
  /** Allowed codes listed inline. */
  codes?: string[];
  /** Allowed codes: the concepts of mappings/CodeSystem-<codeSystem>.json. */
  codeSystem?: string;
  default?: string;
  fields?: Record<string, FieldSpec>;
  items?: FieldSpec;
  target?: string;
}

export interface RecordMap {
  recordType: string;
  resourceType: string;
  profile: string;
  description: string;
  fields: Record<string, FieldSpec>;
}

/** One field of the CDA header map: alternative XPath-like paths below /ClinicalDocument. */
export interface CdaFieldSpec {
  paths: string[];
  required?: boolean;
  multiple?: boolean;
  type: 'oid' | 'integer' | 'ts' | 'string' | 'code' | 'hetu' | 'boolean' | 'coding';
  /** Coding fields: @codeSystem must be present too. */
  requireSystem?: boolean;
  /** The element named in error messages when it differs from the first path. */
  element?: string;
  target?: string;
}

export interface CdaHeaderMap {
  root: string;
  fields: Record<string, CdaFieldSpec>;
  rules: {
    /** View systems that are national (or the gateway's stand-in for unconfirmed national codes). */
    knownViewSystems: string[];
    invalidation: { system: string; code: string };
    socialRegisterKind: string;
    dataOrigin: string;
    attachmentContentType: string;
    fileFormat: { system: string; code: string; display: string };
  };
}

export const cdaHeaderMap = cdaHeaderMapJson as unknown as CdaHeaderMap;

export const recordMaps: Record<string, RecordMap> = Object.fromEntries(
  [patientMap, organizationMap, guardianMap, serviceEventMap, clientRelationshipMap, prescriptionMap, renewalRequestMap, consentMap].map((m) => [
    m.recordType,
    m as unknown as RecordMap,
  ]),
);

const codeSystems: Record<string, CodeSystem> = {
  'register-kind': registerKindCs as CodeSystem,
  'data-origin': dataOriginCs as CodeSystem,
  'consent-kind': consentKindCs as CodeSystem,
  region: regionCs as CodeSystem,
  'social-service-task': serviceTaskCs as CodeSystem,
  'social-document-kind': socialDocumentKindCs as CodeSystem,
  view: viewCs as CodeSystem,
};

/** The codes of a local code system in mappings/ (by its id). */
export function codesOf(codeSystemId: string): string[] {
  return (codeSystems[codeSystemId]?.concept ?? []).map((c) => c.code as string);
}

/** Display text of a local code, for codings the mappers build. */
export function displayOf(codeSystemId: string, code: string): string | undefined {
  return codeSystems[codeSystemId]?.concept?.find((c) => c.code === code)?.display;
}

export const conceptMaps = {
  registerIdentifierToRegisterKind: registerToKindJson as ConceptMap,
  registerKindToRegisterIdentifier: kindToRegisterJson as ConceptMap,
  serviceEventKindToEncounterClass: eventKindToClassJson as ConceptMap,
  viewLocalToOfficial: viewLocalToOfficialJson as ConceptMap,
  consentKindToScope: consentKindToScopeJson as ConceptMap,
} as const;

/** $translate over one ConceptMap: the target code for (system, code), honouring `unmapped` fixed codes. */
export function translate(map: ConceptMap, system: string, code: string | undefined): string | undefined {
  for (const group of map.group ?? []) {
    if (group.source !== system) continue;
    const hit = group.element?.find((e) => e.code === code)?.target?.[0]?.code;
    if (hit) return hit;
    if (group.unmapped?.mode === 'fixed') return group.unmapped.code;
  }
  return undefined;
}
