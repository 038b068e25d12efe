// Code systems and codes used in the gateway's AuditEvents (IHE BALP RESTful patterns). https://profiles.ihe.net/ITI/BALP/
import type { Coding } from '@medplum/fhirtypes';
import { LOCAL_BASE } from '../kanta/codes.js';

/** See: http://terminology.hl7.org/CodeSystem/audit-event-type */
export const AuditEventType = {
  Rest: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'Restful Operation' },
  /** A login attempt (here: a bearer token presented); BALP's pattern for authentication events. */
  UserAuthentication: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' },
} as const satisfies Record<string, Coding>;

/** Subtypes of DCM 110114. See: http://dicom.nema.org/resources/ontology/DCM */
export const UserAuthenticationSubtype = {
  Login: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110122', display: 'Login' },
} as const satisfies Record<string, Coding>;

/** Subtype codes are the interaction codes themselves. See: http://hl7.org/fhir/restful-interaction */
export const RESTFUL_INTERACTION_SYSTEM = 'http://hl7.org/fhir/restful-interaction';

/** See: http://hl7.org/fhir/audit-event-action */
export const AuditEventAction = { Create: 'C', Read: 'R', Update: 'U', Delete: 'D', Execute: 'E' } as const;
export type AuditEventActionCode = (typeof AuditEventAction)[keyof typeof AuditEventAction];

/** See: http://hl7.org/fhir/audit-event-outcome */
export const AuditEventOutcome = { Success: '0', MinorFailure: '4', SeriousFailure: '8', MajorFailure: '12' } as const;
export type AuditEventOutcomeCode = (typeof AuditEventOutcome)[keyof typeof AuditEventOutcome];

/** See: http://terminology.hl7.org/CodeSystem/audit-entity-type */
export const AuditEntityType = {
  Person: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
  SystemObject: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
} as const satisfies Record<string, Coding>;

/** See: http://terminology.hl7.org/CodeSystem/object-role */
export const ObjectRole = {
  Patient: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  DomainResource: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '4', display: 'Domain Resource' },
  Query: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '24', display: 'Query' },
} as const satisfies Record<string, Coding>;

/** See: http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle */
export const Lifecycle = {
  Access: { system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'access', display: 'Access/View Record Lifecycle Event' },
  Disclose: { system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'disclose', display: 'Disclose Record Lifecycle Event' },
} as const satisfies Record<string, Coding>;

/** Agent types; DICOM roles as BALP uses them. See: http://dicom.nema.org/resources/ontology/DCM */
export const DicomRole = {
  /** Source Role ID: the party data flows from. */
  Source: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110153', display: 'Source Role ID' },
  /** Destination Role ID: the party data flows to. */
  Destination: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110152', display: 'Destination Role ID' },
  Application: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110150', display: 'Application' },
} as const satisfies Record<string, Coding>;

/** See: http://terminology.hl7.org/CodeSystem/v3-ParticipationType */
export const ParticipationType = {
  InformationRecipient: { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' },
  Author: { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'AUT', display: 'author (originator)' },
  Informant: { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'INF', display: 'informant' },
} as const satisfies Record<string, Coding>;

/** See: http://terminology.hl7.org/CodeSystem/v3-RoleClass */
export const RoleClass = {
  HealthcareProvider: { system: 'http://terminology.hl7.org/CodeSystem/v3-RoleClass', code: 'PROV', display: 'healthcare provider' },
  ServiceDeliveryLocation: { system: 'http://terminology.hl7.org/CodeSystem/v3-RoleClass', code: 'SDLOC', display: 'service delivery location' },
} as const satisfies Record<string, Coding>;

/** Who acts for someone else. See: http://terminology.hl7.org/CodeSystem/v3-RoleCode */
export const RoleCode = {
  Guardian: { system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'GUARD', display: 'guardian' },
  HealthcarePowerOfAttorney: { system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'HPOWATT', display: 'healthcare power of attorney' },
  PowerOfAttorney: { system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'POWATT', display: 'power of attorney' },
} as const satisfies Record<string, Coding>;

/** See: http://terminology.hl7.org/CodeSystem/security-source-type */
export const SecuritySourceType = {
  ApplicationServer: { system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' },
} as const satisfies Record<string, Coding>;

/** See: http://terminology.hl7.org/CodeSystem/v3-ActReason */
export const PURPOSE_OF_USE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/** See: http://terminology.hl7.org/CodeSystem/v3-Confidentiality */
export const Confidentiality = {
  Restricted: { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R', display: 'restricted' },
} as const satisfies Record<string, Coding>;

/** BALP's X-Request-Id entity type. See: https://profiles.ihe.net/ITI/BALP/CodeSystem-BasicAuditEntityType.html */
export const BasicAuditEntityType = {
  RequestId: { system: 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType', code: 'XrequestId', display: 'X-Request-Id' },
} as const satisfies Record<string, Coding>;

/** See: http://terminology.hl7.org/CodeSystem/network-type (code 2 = IP address) */
export const NETWORK_TYPE_IP = '2' as const;

/** Prefix BALP uses for an OAuth token id. See: https://profiles.ihe.net/ITI/BALP/ */
export const OAUTH_JTI_PREFIX = 'urn:ietf:params:oauth:jti:';

/** Local systems: no published code exists for these (define them as CodeSystems in mappings/). */
export const AuditLocalSystem = {
  /** Entity kinds BALP does not name: withheld records (D11) and a claimed legal basis (D8). */
  EntityKind: `${LOCAL_BASE}/CodeSystem/audit-entity-kind`,
  /** The caller's kanta_role. */
  CallerRole: `${LOCAL_BASE}/CodeSystem/kanta-role`,
  /** Agent type for the person a guardian or proxy acts for. */
  AgentKind: `${LOCAL_BASE}/CodeSystem/audit-agent-kind`,
  /** The sector (health / social) of the caller's organisation. */
  Sector: `${LOCAL_BASE}/CodeSystem/sector`,
  /** Identifier system of OAuth client ids; the same system the Consent for a wellness app names (LocalSystemMore.AppClientId). */
  OAuthClient: `${LOCAL_BASE}/NamingSystem/app-client-id`,
  /** Identifier system of this gateway as an audit source. */
  AuditSource: `${LOCAL_BASE}/NamingSystem/audit-source`,
} as const;

export const AuditEntityKind = {
  /** Why a presented token was refused (AUTH_FAILURE_SYSTEM code in entity.detail). */
  AuthenticationFailure: { system: AuditLocalSystem.EntityKind, code: 'authentication-failure', display: 'Refused credential' },
  Withheld: { system: AuditLocalSystem.EntityKind, code: 'withheld', display: 'Withheld from disclosure' },
  LegalBasis: { system: AuditLocalSystem.EntityKind, code: 'legal-basis', display: 'Statutory legal basis claimed' },
} as const satisfies Record<string, Coding>;

export const AuditAgentKind = {
  Represented: { system: AuditLocalSystem.AgentKind, code: 'represented', display: 'Person acted on behalf of' },
} as const satisfies Record<string, Coding>;

/** entity.detail.type naming the register holder a disclosed record came from. */
export const DETAIL_REGISTER_HOLDER = 'register-holder';
