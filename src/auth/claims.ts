// The access-token claims the gateway reads and how they become a Principal. https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
import type { JWTPayload } from 'jose';
import type { Principal, PrincipalKind, Sector } from '../context.js';

/**
 * TOKEN CLAIMS -> Principal (README table; the authenticator reads nothing else):
 *
 * | Claim               | Type                         | Principal field | Meaning                                                                 |
 * |---------------------|------------------------------|-----------------|-------------------------------------------------------------------------|
 * | `sub`               | string (required)            | subject         | HETU of the person (citizen, guardian, proxy, professional); client id of an app or system |
 * | `kanta_role`        | KantaRole (required)         | kind            | professional, citizen, guardian, proxy, app, system                     |
 * | `name`              | string                       | name            | display name, written to AuditEvents only                               |
 * | `patient`           | string (Patient id)          | patient         | SMART launch context: whose data the caller acts for (own, child, principal, app user) |
 * | `organization`      | string (OID)                 | organization    | register holder the professional works for                             |
 * | `unit`              | string (OID)                 | unit            | service unit (its päävastuullinen flags are read from Organization)     |
 * | `sector`            | 'health' or 'social'         | sector          | sector of the professional's organisation                               |
 * | `purpose_of_use`    | v3-ActReason code            | purposeOfUse    | asserted purpose, e.g. TREAT (D9)                                       |
 * | `care_relationship` | string                       | relationship    | asserted care or client relationship (D9)                               |
 * | `legal_basis`       | string                       | legalBasis      | statutory basis a social-care authority claims (D8)                     |
 * | `pharmacy`          | boolean                      | pharmacy        | professional works at a pharmacy (D6)                                   |
 * | `mandates`          | array of 'health'/'social' (or space-separated string) | mandates | Suomi.fi mandates of an adult proxy (C4)              |
 * | `client_id` / `azp` | string                       | clientId        | OAuth client (the wellness app, P1)                                     |
 * | `scope` / `scp`     | space-separated string / array | scopes        | SMART v1/v2 scopes granted                                              |
 * | `jti`               | string                       | tokenId         | token id, written to AuditEvents                                        |
 *
 * Standard claims also checked: `iss` (configured issuers), `aud` (configured audience), `exp` (required),
 * `nbf` (honoured), `iat` (person tokens may live at most 32 minutes, S1).
 */
export const Claim = {
  Subject: 'sub',
  Role: 'kanta_role',
  Name: 'name',
  Patient: 'patient',
  Organization: 'organization',
  Unit: 'unit',
  Sector: 'sector',
  PurposeOfUse: 'purpose_of_use',
  CareRelationship: 'care_relationship',
  LegalBasis: 'legal_basis',
  Pharmacy: 'pharmacy',
  Mandates: 'mandates',
  ClientId: 'client_id',
  AuthorizedParty: 'azp',
  Scope: 'scope',
  ScopeList: 'scp',
  TokenId: 'jti',
} as const;

/** Values of `kanta_role`. */
export const KantaRole = {
  Professional: 'professional',
  Citizen: 'citizen',
  Guardian: 'guardian',
  Proxy: 'proxy',
  App: 'app',
  System: 'system',
} as const satisfies Record<string, PrincipalKind>;

/** Persons acting in OmaKanta: their sessions time out after 30 minutes, so their tokens live at most 32 (S1). */
export const PersonRoles: readonly PrincipalKind[] = [KantaRole.Citizen, KantaRole.Guardian, KantaRole.Proxy];
export const MAX_PERSON_TOKEN_LIFETIME_SECONDS = 32 * 60;

export const Sectors: readonly Sector[] = ['health', 'social'];

/** The typed claim set as the dev issuer mints it and the authenticator reads it. */
export interface KantaClaims {
  sub: string;
  kanta_role: PrincipalKind;
  name?: string;
  patient?: string;
  organization?: string;
  unit?: string;
  sector?: Sector;
  purpose_of_use?: string;
  care_relationship?: string;
  legal_basis?: string;
  pharmacy?: boolean;
  mandates?: Sector[];
  client_id?: string;
  scope?: string;
}

function isRole(v: unknown): v is PrincipalKind {
  return typeof v === 'string' && (Object.values(KantaRole) as string[]).includes(v);
}

function isSector(v: unknown): v is Sector {
  return typeof v === 'string' && (Sectors as string[]).includes(v);
}

function str(payload: JWTPayload, name: string): string | undefined {
  const v = payload[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function words(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string' && s.length > 0);
  if (typeof v === 'string') return v.split(/\s+/).filter((s) => s.length > 0);
  return [];
}

/**
 * Maps a verified payload to a Principal, or returns the reason it cannot.
 * Only claims that are well-formed are carried over; a malformed optional claim is dropped, never guessed.
 */
export function principalFromClaims(payload: JWTPayload): Principal | string {
  const subject = str(payload, Claim.Subject);
  if (!subject) return 'Token has no subject (sub)';
  const kind = payload[Claim.Role];
  if (!isRole(kind)) return `Token claim ${Claim.Role} must be one of ${Object.values(KantaRole).join(', ')}`;
  const sector = payload[Claim.Sector];
  if (sector !== undefined && !isSector(sector)) return `Token claim ${Claim.Sector} must be health or social`;
  const mandates = words(payload[Claim.Mandates]);
  if (!mandates.every(isSector)) return `Token claim ${Claim.Mandates} may hold only health and social`;
  const pharmacy = payload[Claim.Pharmacy];
  if (pharmacy !== undefined && typeof pharmacy !== 'boolean') return `Token claim ${Claim.Pharmacy} must be a boolean`;

  const scopes = payload[Claim.Scope] !== undefined ? words(payload[Claim.Scope]) : words(payload[Claim.ScopeList]);
  const principal: Principal = { kind, subject, scopes };
  const optional: Array<[keyof Principal, string | undefined]> = [
    ['name', str(payload, Claim.Name)],
    ['patient', str(payload, Claim.Patient)],
    ['organization', str(payload, Claim.Organization)],
    ['unit', str(payload, Claim.Unit)],
    ['purposeOfUse', str(payload, Claim.PurposeOfUse)],
    ['relationship', str(payload, Claim.CareRelationship)],
    ['legalBasis', str(payload, Claim.LegalBasis)],
    ['clientId', str(payload, Claim.ClientId) ?? str(payload, Claim.AuthorizedParty)],
    ['tokenId', str(payload, Claim.TokenId)],
  ];
  for (const [key, value] of optional) if (value !== undefined) (principal as unknown as Record<string, unknown>)[key] = value;
  if (sector !== undefined) principal.sector = sector;
  if (pharmacy !== undefined) principal.pharmacy = pharmacy;
  if (mandates.length > 0) principal.mandates = mandates as Sector[];
  return principal;
}

/**
 * The context claims a principal of its kind still lacks for a request on personal data; empty when complete.
 * Authentication does not enforce this: the consent layer decides what a missing claim means (D8, D9, C4).
 */
export function missingContext(principal: Principal): string[] {
  const missing: string[] = [];
  const need = (present: unknown, claim: string): void => {
    if (present === undefined || (Array.isArray(present) && present.length === 0)) missing.push(claim);
  };
  switch (principal.kind) {
    case 'professional':
      need(principal.organization, Claim.Organization);
      need(principal.sector, Claim.Sector);
      need(principal.purposeOfUse, Claim.PurposeOfUse);
      // D9: a care/client relationship, or (D8) a statutory basis stands in for it.
      if (principal.relationship === undefined && principal.legalBasis === undefined) missing.push(Claim.CareRelationship);
      break;
    case 'citizen':
      need(principal.patient, Claim.Patient);
      break;
    case 'guardian':
      need(principal.patient, Claim.Patient);
      break;
    case 'proxy':
      need(principal.patient, Claim.Patient);
      need(principal.mandates, Claim.Mandates);
      break;
    case 'app':
      need(principal.patient, Claim.Patient);
      need(principal.clientId, Claim.ClientId);
      break;
    case 'system':
      break;
  }
  return missing;
}
