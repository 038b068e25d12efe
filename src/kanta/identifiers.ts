// Identifier shapes for Kanta OIDs and HETU, aligned with FI Base. https://hl7.fi/fhir/finnish-base-profiles
import type { Identifier } from '@medplum/fhirtypes';
import { FhirSystem, Oid } from './codes.js';

const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;

export function isOid(value: string): boolean {
  return OID_PATTERN.test(value);
}

/** A document, service event, prescription or client-relationship OID as a FHIR identifier. */
export function oidIdentifier(oid: string, use?: Identifier['use']): Identifier {
  return { ...(use ? { use } : {}), system: FhirSystem.Uri, value: `urn:oid:${oid}` };
}

/** The search token that finds a resource by its OID identifier. */
export function oidToken(oid: string): string {
  return `${FhirSystem.Uri}|urn:oid:${oid}`;
}

export function hetuIdentifier(hetu: string): Identifier {
  return {
    use: 'official',
    type: { coding: [{ system: FhirSystem.V2IdentifierType, code: 'NNFIN' }] },
    system: Oid.Hetu,
    value: hetu,
  };
}

export function hetuToken(hetu: string): string {
  return `${Oid.Hetu}|${hetu}`;
}

/** FI Base style: SOTE organisation register, value urn:oid:<OID>. */
export function organizationIdentifier(oid: string): Identifier {
  return { use: 'official', system: Oid.SoteOrganisationRegister, value: `urn:oid:${oid}` };
}

export function organizationToken(oid: string): string {
  return `${Oid.SoteOrganisationRegister}|urn:oid:${oid}`;
}

/** The bare OID of an Organization identifier value (`urn:oid:1.2.3` -> `1.2.3`). */
export function bareOid(value: string | undefined): string | undefined {
  return value?.startsWith('urn:oid:') ? value.slice('urn:oid:'.length) : value;
}
