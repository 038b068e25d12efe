// Builds an Organization (register holder or unit) with its OID, registers and päävastuullinen flags. https://hl7.fi/fhir/finnish-base-profiles/StructureDefinition/fi-base-organization
import type { Extension, Organization } from '@medplum/fhirtypes';
import { LocalExtension, LocalSystem, OidMore, ProfileId, profileUrl, type RegisterKindCode } from './codes.js';
import { organizationIdentifier } from './identifiers.js';
import { displayOf } from './mapping-tables.js';

export interface ProviderInput {
  id?: string;
  oid: string;
  name: string;
  /** Registers the organisation holds or writes to. */
  registerKinds: RegisterKindCode[];
  /** eArkisto custodian type: '1' public, '2' private. */
  custodianType?: '1' | '2';
  /** Reference to the register-holder Organization when this is one of its units. */
  partOf?: string;
  region?: 'uusimaa' | 'other';
  mainResponsibleUnitHealth?: boolean;
  mainResponsibleUnitSocial?: boolean;
}

export function toOrganization(p: ProviderInput): Organization {
  const extension: Extension[] = [];
  if (p.region) extension.push({ url: LocalExtension.Region, valueCoding: { system: LocalSystem.Region, code: p.region } });
  // Absent means F (SPEC section 2), so only true flags are written.
  if (p.mainResponsibleUnitHealth) extension.push({ url: LocalExtension.MainResponsibleUnitHealth, valueBoolean: true });
  if (p.mainResponsibleUnitSocial) extension.push({ url: LocalExtension.MainResponsibleUnitSocial, valueBoolean: true });
  return {
    resourceType: 'Organization',
    ...(p.id ? { id: p.id } : {}),
    meta: { profile: [profileUrl(ProfileId.Organization)] },
    ...(extension.length ? { extension } : {}),
    identifier: [organizationIdentifier(p.oid)],
    active: true,
    type: [
      ...p.registerKinds.map((code) => ({ coding: [{ system: LocalSystem.RegisterKind, code, display: displayOf('register-kind', code) }] })),
      ...(p.custodianType ? [{ coding: [{ system: OidMore.CustodianTypeCode, code: p.custodianType, display: p.custodianType === '1' ? 'Julkinen' : 'Yksityinen' }] }] : []),
    ],
    name: p.name,
    ...(p.partOf ? { partOf: { reference: p.partOf } } : {}),
  };
}
