// Builds the Consents the citizen gives from the forms, in the shape of the gateway's Kanta Consent profiles (codes and concept map shared with src/kanta). https://hl7.org/fhir/R4/consent.html
import { ClientDataActUri, ConsentActorRole, FhirSystem, LocalSystem, profileUrl } from '../../src/kanta/codes.js';
import kindToScope from '../../mappings/ConceptMap-consent-kind-to-scope.json';

/** Kinds a person gives from the forms; each is a plain permit except the prohibition (deny with a target). */
export const GivenKinds = [
  'permission-health',
  'permission-social',
  'permission-health-to-social',
  'permission-social-to-health',
  'eu-eprescription',
  'organ-donation-will',
  'living-will',
] as const;
export type GivenKind = (typeof GivenKinds)[number] | 'prohibition';

function scopeOf(kind: string): string {
  for (const g of kindToScope.group) for (const e of g.element) if (e.code === kind) return e.target[0].code;
  throw new Error(`no Consent.scope for ${kind}`);
}

export interface ConsentForm {
  kind: GivenKind;
  patient: string;
  /** Patient/<id> for the person themself, RelatedPerson/<id> for a guardian. */
  performer: string;
  /** Register holder Organization id a prohibition targets. */
  registerHolder?: string;
  end?: string;
  /** Text of a living will. */
  text?: string;
}

const base64Utf8 = (text: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

export function buildConsent(f: ConsentForm): Record<string, unknown> {
  const provision =
    f.kind === 'prohibition'
      ? {
          type: 'deny',
          provision: [
            { type: 'deny', actor: [{ role: { coding: [{ system: FhirSystem.V3ParticipationType, code: ConsentActorRole.Custodian }] }, reference: { reference: `Organization/${f.registerHolder}` } }] },
          ],
        }
      : { type: 'permit' };
  return {
    resourceType: 'Consent',
    meta: { profile: [profileUrl(`kanta-consent-${f.kind}`)] },
    status: 'active',
    scope: { coding: [{ system: FhirSystem.ConsentScope, code: scopeOf(f.kind) }] },
    category: [{ coding: [{ system: LocalSystem.ConsentKind, code: f.kind }] }],
    patient: { reference: `Patient/${f.patient}` },
    dateTime: new Date().toISOString(),
    performer: [{ reference: f.performer }],
    ...(f.kind === 'living-will' && f.text ? { sourceAttachment: { contentType: 'text/plain; charset=utf-8', title: 'Hoitotahto', data: base64Utf8(f.text) } } : {}),
    policy: [{ uri: ClientDataActUri }],
    provision: f.end ? { ...provision, period: { end: f.end } } : provision,
  };
}

/** The same Consent with a new validity end, or revoked. */
export function changeConsent(c: Record<string, unknown>, change: { end?: string; revoke?: boolean }): Record<string, unknown> {
  const provision = { ...((c.provision as Record<string, unknown>) ?? {}) };
  if (change.end) provision.period = { ...((provision.period as object) ?? {}), end: change.end };
  return { ...c, ...(change.revoke ? { status: 'inactive' } : {}), provision };
}
