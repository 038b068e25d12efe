// The caller and request context every layer below HTTP sees. https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
/** Who is calling, derived only from a verified token (see README for the claim names). */
export type PrincipalKind = 'professional' | 'citizen' | 'guardian' | 'proxy' | 'app' | 'system';
export type Sector = 'health' | 'social';

export interface Principal {
  kind: PrincipalKind;
  /** Token subject: a HETU for persons, a client id for apps and systems. */
  subject: string;
  /** Display name for audit; never logged to the process log. */
  name?: string;
  /** Patient id the caller acts for: own record (citizen), the child (guardian), the principal (proxy), the user (app). */
  patient?: string;
  /** Professional: organisation OID of the register holder the caller works for. */
  organization?: string;
  /** Professional: service unit OID (its päävastuullinen flags are read from the Organization resource). */
  unit?: string;
  /** Professional: sector of the caller's organisation. */
  sector?: Sector;
  /** Professional: asserted purpose of use (v3-ActReason code, e.g. TREAT). */
  purposeOfUse?: string;
  /** Professional: asserted care or client relationship (D9). */
  relationship?: string;
  /** Social-care authority: the statutory legal basis claimed for the request (D8). */
  legalBasis?: string;
  /** Professional at a pharmacy (D6). */
  pharmacy?: boolean;
  /** Proxy: the Suomi.fi mandates held ('health' and/or 'social'). */
  mandates?: Sector[];
  /** App: OAuth client id of the wellness app. */
  clientId?: string;
  /** SMART v2 scopes granted. */
  scopes: string[];
  /** Token id (jti) for audit. */
  tokenId?: string;
}

/**
 * The archive operator's own back-end (kanta_role system with no organisation): import and administration. It acts as
 * the register itself, sees everything and is the only auditor of refusals; every access is still audited.
 */
export function isArchiveOperator(p: Principal): boolean {
  return p.kind === 'system' && !p.organization;
}

export interface RequestContext {
  principal: Principal;
  requestId: string;
  /** The instant the request is evaluated at; consent periods and delays compare against it. */
  now: Date;
  /** Client network address for audit. */
  remoteAddress?: string;
  /** Language for OperationOutcome texts: 'fi' | 'sv' | 'en'. */
  language: 'fi' | 'sv' | 'en';
}
