// Which FHIR types are patient records, directory data or consent/audit data, and their search parameters. https://hl7.org/fhir/R4/compartmentdefinition-patient.html
/**
 * Patient records: carry the Kanta marks (register holder, register kind, data origin) in meta.security and
 * have a `patient` search parameter. Every one of these is subject to D1-D8 / C1-C5.
 */
export const RecordTypes = [
  'Encounter',
  'EpisodeOfCare',
  'DocumentReference',
  'Composition',
  'Observation',
  'Condition',
  'Procedure',
  'DiagnosticReport',
  'ServiceRequest',
  'Immunization',
  'AllergyIntolerance',
  'CarePlan',
  'MedicationRequest',
  'MedicationDispense',
  'MedicationAdministration',
  'MedicationStatement',
  'QuestionnaireResponse',
  'Task',
] as const;
const recordTypeSet: ReadonlySet<string> = new Set(RecordTypes);
export const isRecordType = (t: string): boolean => recordTypeSet.has(t);

/** Non-personal reference data any authenticated caller may read (no patient data in them). */
const directoryTypeSet: ReadonlySet<string> = new Set([
  'Organization',
  'Practitioner',
  'PractitionerRole',
  'Location',
  'HealthcareService',
  'Medication',
  'Endpoint',
  'StructureDefinition',
  'SearchParameter',
  'CodeSystem',
  'ValueSet',
  'ConceptMap',
  'NamingSystem',
  'OperationDefinition',
  'CapabilityStatement',
]);
export const isDirectoryType = (t: string): boolean => directoryTypeSet.has(t);

/** Types whose `encounter` search parameter links them to a service event (R4 definitions). */
const encounterLinkedSet: ReadonlySet<string> = new Set([
  'DocumentReference',
  'Composition',
  'Observation',
  'Condition',
  'Procedure',
  'DiagnosticReport',
  'ServiceRequest',
  'CarePlan',
  'MedicationRequest',
  'QuestionnaireResponse',
  'Task',
]);
export const isEncounterLinked = (t: string): boolean => encounterLinkedSet.has(t);

/** The date search parameter that says when a record's care happened (dataPeriod targeting, C3 ages). */
const clinicalDateParams: Readonly<Record<string, string>> = {
  Encounter: 'date',
  EpisodeOfCare: 'date',
  DocumentReference: 'date',
  Composition: 'date',
  Observation: 'date',
  Condition: 'recorded-date',
  Procedure: 'date',
  DiagnosticReport: 'date',
  ServiceRequest: 'authored',
  Immunization: 'date',
  AllergyIntolerance: 'date',
  CarePlan: 'date',
  MedicationRequest: 'authoredon',
  MedicationDispense: 'whenhandedover',
  MedicationAdministration: 'effective-time',
  MedicationStatement: 'effective',
  QuestionnaireResponse: 'authored',
  Task: 'authored-on',
};
export const clinicalDateParam = (t: string): string | undefined => clinicalDateParams[t];

/** Invalidated records carry `entered-in-error` in this token parameter. */
const invalidationParams: Readonly<Record<string, string>> = {
  Condition: 'verification-status',
  AllergyIntolerance: 'verification-status',
};
export const invalidationParam = (t: string): string => invalidationParams[t] ?? 'status';

/** D6: prescriptions and their dispensings. */
export const PrescriptionTypes: readonly string[] = ['MedicationRequest', 'MedicationDispense'];
export const isPrescriptionType = (t: string): boolean => PrescriptionTypes.includes(t);
