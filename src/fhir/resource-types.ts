// Which resource types the gateway serves and which interactions each supports: the source of routing and the CapabilityStatement. https://hl7.org/fhir/R4/capabilitystatement.html
import { Interaction, type InteractionCode } from './types.js';

const ReadOnly: readonly InteractionCode[] = [Interaction.Read, Interaction.Vread, Interaction.SearchType, Interaction.HistoryInstance];
const Writable: readonly InteractionCode[] = [
  Interaction.Read,
  Interaction.Vread,
  Interaction.SearchType,
  Interaction.HistoryInstance,
  Interaction.HistoryType,
  Interaction.Create,
  Interaction.Update,
  Interaction.Patch,
];

/**
 * The Kanta data the gateway maps, plus the conformance resources it publishes.
 * AuditEvent is append-only: readable and searchable, never updated or deleted (A3); the gateway alone creates them.
 */
export const DefaultResourceTypes: Readonly<Record<string, readonly InteractionCode[]>> = {
  Patient: Writable,
  Organization: Writable,
  Practitioner: Writable,
  PractitionerRole: Writable,
  RelatedPerson: Writable,
  Encounter: Writable,
  EpisodeOfCare: Writable,
  DocumentReference: Writable,
  Consent: Writable,
  MedicationRequest: Writable,
  MedicationDispense: Writable,
  Task: Writable,
  // Personal-data-store Observations: the app that wrote one, or the citizen, may delete it (Kanta PHR).
  Observation: [...Writable, Interaction.Delete],
  Provenance: Writable,
  // An archived CDA's content, read with the consent of the DocumentReference naming it; only the archive operator
  // (import) writes one. Not searchable: it has no search parameters of its own and is reached through its record.
  Binary: [Interaction.Read, Interaction.Vread, Interaction.HistoryInstance, Interaction.Create, Interaction.Update],
  // Lists of patients the archive operator keeps (Group/[id]/$export); not disclosed to anyone else (deny by default).
  Group: Writable,
  AuditEvent: [Interaction.Read, Interaction.Vread, Interaction.SearchType],
  StructureDefinition: ReadOnly,
  SearchParameter: ReadOnly,
  OperationDefinition: ReadOnly,
  CodeSystem: ReadOnly,
  ValueSet: ReadOnly,
  ConceptMap: ReadOnly,
};

/** Whole-system interactions the router serves at the base (listed in CapabilityStatement.rest.interaction). */
export const SystemInteractions: readonly InteractionCode[] = [Interaction.Transaction, Interaction.Batch, Interaction.SearchSystem, Interaction.HistorySystem];

/** Compartments searchable as [Compartment]/[id]/[type]. */
export const SearchableCompartments: readonly string[] = ['http://hl7.org/fhir/CompartmentDefinition/patient'];

/** Types whose instances are public conformance artefacts, not personal data. */
export const ConformanceTypes: readonly string[] = ['StructureDefinition', 'SearchParameter', 'OperationDefinition', 'CodeSystem', 'ValueSet', 'ConceptMap'];

export interface ResourceTypeRegistry {
  types(): string[];
  supports(resourceType: string, interaction: InteractionCode): boolean;
  interactions(resourceType: string): readonly InteractionCode[];
}

export function createResourceTypeRegistry(table: Readonly<Record<string, readonly InteractionCode[]>> = DefaultResourceTypes): ResourceTypeRegistry {
  return {
    types: () => Object.keys(table).sort(),
    supports: (t, i) => table[t]?.includes(i) ?? false,
    interactions: (t) => table[t] ?? [],
  };
}
