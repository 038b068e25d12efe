// Kanta and HL7 Finland code systems, OIDs and the gateway's own local systems, as typed constants. https://hl7.fi/fhir/finnish-base-profiles
/**
 * HOW KANTA MARKS ARE CARRIED ON FHIR RESOURCES (decided once; profiles, mappings and the consent
 * engine all follow this table):
 *
 * - Register holder (rekisterinpitäjä) of every record: `meta.security` coding
 *   { system: LocalSystem.RegisterHolder, code: <organisation OID> }.
 * - Register kind (rekisteri) of every record: `meta.security` coding
 *   { system: LocalSystem.RegisterKind, code: RegisterKind.* }. The sector follows from it
 *   (SocialRegisterKinds vs HealthRegisterKinds).
 * - Data origin (D10): `meta.security` { system: LocalSystem.DataOrigin, code: 'kanta' | 'local' }.
 * - Document marks on DocumentReference, each a `meta.security` coding of LocalSystem.DocumentMark:
 *   other-person (toista henkilöä koskeva tieto), special-content (erityissisältö),
 *   local-main-view (paikallinen päänäkymä), professional-delay (sosiaalihuollon ammattilaisen viivästys).
 * - Display delay end date: extension FiBaseExtension.ReleaseDateForPatientViewing (valueDate) on the
 *   DocumentReference; searched with the local SearchParameter `release-date`.
 * - Minor's decision on guardians: extension FiBaseExtension.RestrictionParent (valueCoding from
 *   Oid.RestrictionParent, codes 1-4) on the DocumentReference / Encounter; searched with `restriction-parent`.
 * - Service event: DocumentReference.context.encounter -> Encounter (health) or EpisodeOfCare
 *   (social-care service task). Encounter.identifier (use official) carries the palvelutapahtuma OID.
 * - Versions: DocumentReference.relatesTo { code: 'replaces' } -> previous version; the previous one gets
 *   status 'superseded'. Invalidation (mitätöinti): status 'entered-in-error'.
 * - Organisation flags: extensions LocalExtension.MainResponsibleUnitSocial / ...Health (valueBoolean),
 *   absent means false. Wellbeing area / region: extension LocalExtension.Region (valueCoding, LocalSystem.Region).
 * - Consent kind: Consent.category coding { system: LocalSystem.ConsentKind, code: ConsentKind.* }.
 */

export const LOCAL_BASE = 'https://kanta-gateway.example.org/fhir';

/** Published OIDs (see ../shared/reference/FINLAND.md for their sources). */
export const Oid = {
  Hetu: 'urn:oid:1.2.246.21',
  SoteOrganisationRegister: 'urn:oid:1.2.246.537.6.202.2008',
  RegisterIdentifier: 'urn:oid:1.2.246.537.5.40150.2009',
  Confidentiality: 'urn:oid:1.2.246.777.5.99902.2006',
  View: 'urn:oid:1.2.246.537.6.12.2002',
  DocumentType: 'urn:oid:1.2.246.537.5.5001.2011',
  ServiceEventKind: 'urn:oid:1.2.246.537.5.40156.2008',
  CustodianType: 'urn:oid:1.2.246.537.5.40172.2008',
  SocialServiceTask: 'urn:oid:1.2.246.537.6.1221',
  RestrictionParent: 'urn:oid:1.2.246.537.5.40202.201901',
  Municipality: 'urn:oid:1.2.246.537.6.21',
} as const;

export const FiBaseExtension = {
  ReleaseDateForPatientViewing: 'https://hl7.fi/fhir/finnish-base-profiles/StructureDefinition/ReleaseDateForPatientViewing',
  RestrictionParent: 'https://hl7.fi/fhir/finnish-base-profiles/StructureDefinition/RestrictionParent',
} as const;

/** Code systems this gateway defines itself because no published Kanta code was found; each is a CodeSystem in mappings/. */
export const LocalSystem = {
  RegisterHolder: `${LOCAL_BASE}/CodeSystem/register-holder`,
  RegisterKind: `${LOCAL_BASE}/CodeSystem/register-kind`,
  DataOrigin: `${LOCAL_BASE}/CodeSystem/data-origin`,
  DocumentMark: `${LOCAL_BASE}/CodeSystem/document-mark`,
  ConsentKind: `${LOCAL_BASE}/CodeSystem/consent-kind`,
  SocialDocumentKind: `${LOCAL_BASE}/CodeSystem/social-document-kind`,
  Region: `${LOCAL_BASE}/CodeSystem/region`,
  SuomiFiMandate: `${LOCAL_BASE}/CodeSystem/suomifi-mandate`,
} as const;

export const LocalExtension = {
  MainResponsibleUnitSocial: `${LOCAL_BASE}/StructureDefinition/main-responsible-unit-social`,
  MainResponsibleUnitHealth: `${LOCAL_BASE}/StructureDefinition/main-responsible-unit-health`,
  Region: `${LOCAL_BASE}/StructureDefinition/region`,
  DecisionCapacity: `${LOCAL_BASE}/StructureDefinition/decision-capacity`,
} as const;

export const RegisterKind = {
  PublicHealth: 'public-health',
  PrivateHealth: 'private-health',
  OccupationalHealth: 'occupational-health',
  SocialCare: 'social-care',
  /** Omatietovaranto: wellness data written by apps; never a care register (P2). */
  PersonalDataStore: 'personal-data-store',
} as const;
export type RegisterKindCode = (typeof RegisterKind)[keyof typeof RegisterKind];
export const HealthRegisterKinds: readonly RegisterKindCode[] = [RegisterKind.PublicHealth, RegisterKind.PrivateHealth, RegisterKind.OccupationalHealth];
export const SocialRegisterKinds: readonly RegisterKindCode[] = [RegisterKind.SocialCare];

export const DataOrigin = { Kanta: 'kanta', Local: 'local' } as const;

export const DocumentMark = {
  OtherPerson: 'other-person',
  SpecialContent: 'special-content',
  LocalMainView: 'local-main-view',
  ProfessionalDelay: 'professional-delay',
} as const;

export const ConsentKind = {
  Informing: 'informing',
  PermissionHealth: 'permission-health',
  PermissionSocial: 'permission-social',
  PermissionHealthToSocial: 'permission-health-to-social',
  PermissionSocialToHealth: 'permission-social-to-health',
  Prohibition: 'prohibition',
  PrescriptionProhibition: 'prescription-prohibition',
  LivingWill: 'living-will',
  OrganDonationWill: 'organ-donation-will',
  EuEPrescription: 'eu-eprescription',
  WellnessApp: 'wellness-app',
} as const;
export type ConsentKindCode = (typeof ConsentKind)[keyof typeof ConsentKind];

export const Region = { Uusimaa: 'uusimaa', Other: 'other' } as const;

// ---- Additions by the mapping/import work (additive only; the table at the top still rules). ----

/** Further local systems: no published Kanta code list was found for these (see mappings/README.md). */
export const LocalSystemMore = {
  /** Views used by the generator where no official 1.2.246.537.6.12.2002 code is confirmed. */
  View: `${LOCAL_BASE}/CodeSystem/view`,
  /** Social-care service tasks (palvelutehtävä); official OID 1.2.246.537.6.1221 exists but its codes are unconfirmed. */
  SocialServiceTask: `${LOCAL_BASE}/CodeSystem/social-service-task`,
  /** Lifecycle events of archived documents carried in hl7fi:recordStatus; the real invalidation code is unconfirmed. */
  DocumentEvent: `${LOCAL_BASE}/CodeSystem/document-event`,
  /** Task kinds (prescription renewal request). */
  TaskKind: `${LOCAL_BASE}/CodeSystem/task-kind`,
  /** Identifier system of OAuth client ids of wellness apps. */
  AppClientId: `${LOCAL_BASE}/NamingSystem/app-client-id`,
  /** Identifier system of prescription ids when the source gives no OID. */
  PrescriptionId: `${LOCAL_BASE}/NamingSystem/prescription-id`,
  /** Identifier system of social-care workers (no public register OID confirmed for them). */
  WorkerId: `${LOCAL_BASE}/NamingSystem/worker-id`,
} as const;

export const LocalExtensionMore = {
  /** CDA versionNumber of an archived document (valueInteger). */
  DocumentVersion: `${LOCAL_BASE}/StructureDefinition/document-version`,
} as const;

/** Other published systems the mappings use. */
export const OidMore = {
  SocialRegisterIdentifier: 'urn:oid:1.2.246.537.6.1264',
  CustodianTypeCode: 'urn:oid:1.2.246.537.5.40172.2008',
  Atc: 'urn:oid:1.2.246.537.6.32',
  HealthFunctionCode: 'urn:oid:1.2.246.537.6.300.2010',
} as const;

export const FhirSystem = {
  Uri: 'urn:ietf:rfc:3986',
  V2IdentifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  V3ActCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  V3RoleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  V3ParticipationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  ConsentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
} as const;

export const ConsentScopeCode = { PatientPrivacy: 'patient-privacy', Adr: 'adr', Treatment: 'treatment' } as const;
/** Consent.provision.actor.role: IRCP = receiving party (permission target, app); CST = register holder a prohibition targets. */
export const ConsentActorRole = { Recipient: 'IRCP', Custodian: 'CST' } as const;
export const EncounterClassCode = { Visit: 'AMB', CarePeriod: 'IMP' } as const;
export const GuardianRelationship = 'GUARD';
/** An adult acting for another with a Suomi.fi mandate (valtuutus): v3 RoleCode "power of attorney". */
export const ProxyRelationship = 'POWATT';
/** The Suomi.fi mandates OmaKanta honours (seed 001): "Terveydenhuollon asioiden hoito", "Sosiaalihuollon asioiden hoito". */
export const SuomiFiMandateCode = { Health: 'health', Social: 'social' } as const;
export const DocumentEventCode = { Invalidation: 'invalidation' } as const;
export const TaskKindCode = { PrescriptionRenewal: 'prescription-renewal' } as const;
/** Policy every Consent cites: the Client Data Act (784/2021). */
export const ClientDataActUri = 'https://www.finlex.fi/fi/laki/ajantasa/2021/20210784';

export const SocialDocumentKind = {
  Notification: 'notification',
  Application: 'application',
  Assessment: 'assessment',
  Plan: 'plan',
  Decision: 'decision',
  ParenthoodDetermination: 'parenthood-determination',
  Shelter: 'shelter',
  PaymentCommitment: 'payment-commitment',
  ClientRecordEntry: 'client-record-entry',
  SharedMatter: 'shared-matter',
  ClientRelationship: 'client-relationship',
  AdoptionCounselling: 'adoption-counselling',
} as const;
export type SocialDocumentKindCode = (typeof SocialDocumentKind)[keyof typeof SocialDocumentKind];

export const SocialServiceTask = {
  ChildWelfare: 'child-welfare',
  AdultSocialWork: 'adult-social-work',
  ElderlyServices: 'elderly-services',
  DisabilityServices: 'disability-services',
  SubstanceAbuseServices: 'substance-abuse-services',
} as const;

/** Local profile ids (StructureDefinition url = `${LOCAL_BASE}/StructureDefinition/<id>`). */
export const ProfileId = {
  Patient: 'kanta-patient',
  Organization: 'kanta-organization',
  Guardian: 'kanta-guardian',
  Encounter: 'kanta-encounter',
  HealthDocument: 'kanta-health-document',
  SocialServiceTask: 'kanta-social-service-task',
  SocialDocument: 'kanta-social-document',
  MedicationRequest: 'kanta-medication-request',
  RenewalTask: 'kanta-renewal-task',
  ArchivedDocumentContent: 'kanta-archived-document-content',
  ConsentInforming: 'kanta-consent-informing',
  ConsentPermissionHealth: 'kanta-consent-permission-health',
  ConsentPermissionSocial: 'kanta-consent-permission-social',
  ConsentPermissionHealthToSocial: 'kanta-consent-permission-health-to-social',
  ConsentPermissionSocialToHealth: 'kanta-consent-permission-social-to-health',
  ConsentProhibition: 'kanta-consent-prohibition',
  ConsentPrescriptionProhibition: 'kanta-consent-prescription-prohibition',
  ConsentLivingWill: 'kanta-consent-living-will',
  ConsentOrganDonationWill: 'kanta-consent-organ-donation-will',
  ConsentEuEPrescription: 'kanta-consent-eu-eprescription',
  ConsentWellnessApp: 'kanta-consent-wellness-app',
  // Personal data store (Omatietovaranto) wellness Observations, profiles/phr/ (table: src/pds/phr-kinds.ts).
  PhrBodyWeight: 'phr-body-weight',
  PhrBodyHeight: 'phr-body-height',
  PhrBloodPressure: 'phr-blood-pressure',
  PhrHeartRate: 'phr-heart-rate',
  PhrSteps: 'phr-steps',
  PhrBloodGlucose: 'phr-blood-glucose',
  PhrBodyTemperature: 'phr-body-temperature',
  PhrSleepDuration: 'phr-sleep-duration',
} as const;
export const profileUrl = (id: string): string => `${LOCAL_BASE}/StructureDefinition/${id}`;
