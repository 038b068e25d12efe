// The fixed organisations of the demo and synthetic populations: register holders in Uusimaa and elsewhere and their units. https://hl7.fi/fhir/finnish-base-profiles/StructureDefinition/fi-base-organization
import type { Organization } from '@medplum/fhirtypes';
import type { RegisterKindCode } from './codes.js';
import { DemoOrganizationId, DemoOrganizationOid, DemoUnitOid } from './demo-ids.js';
import { toOrganization } from './provider-to-organization.js';

export type DemoOrgKey = keyof typeof DemoOrganizationOid;

export interface DemoProvider {
  key: DemoOrgKey;
  id: string;
  oid: string;
  name: string;
  registerKind: RegisterKindCode;
  custodianType: '1' | '2';
  region: 'uusimaa' | 'other';
  unit: { oid: string; name: string; mainResponsibleUnitHealth?: boolean; mainResponsibleUnitSocial?: boolean };
}

export const demoProviders: readonly DemoProvider[] = [
  { key: 'UusimaaPublicHealth', id: DemoOrganizationId.UusimaaPublicHealth, oid: DemoOrganizationOid.UusimaaPublicHealth, name: 'Uudenmaan hyvinvointialue A, terveydenhuolto (demo)', registerKind: 'public-health', custodianType: '1', region: 'uusimaa', unit: { oid: DemoUnitOid.UusimaaEmergency, name: 'Päivystys (demo)', mainResponsibleUnitHealth: true } },
  { key: 'UusimaaPublicHealth2', id: DemoOrganizationId.UusimaaPublicHealth2, oid: DemoOrganizationOid.UusimaaPublicHealth2, name: 'Uudenmaan hyvinvointialue B, terveydenhuolto (demo)', registerKind: 'public-health', custodianType: '1', region: 'uusimaa', unit: { oid: DemoUnitOid.UusimaaHealthCentre, name: 'Terveysasema (demo)' } },
  { key: 'OtherCountyHealth', id: DemoOrganizationId.OtherCountyHealth, oid: DemoOrganizationOid.OtherCountyHealth, name: 'Pirkanmaan hyvinvointialue, terveydenhuolto (demo)', registerKind: 'public-health', custodianType: '1', region: 'other', unit: { oid: DemoUnitOid.OtherCountyClinic, name: 'Poliklinikka (demo)' } },
  { key: 'PrivateHealth', id: DemoOrganizationId.PrivateHealth, oid: DemoOrganizationOid.PrivateHealth, name: 'Lääkäriasema Oy (demo)', registerKind: 'private-health', custodianType: '2', region: 'uusimaa', unit: { oid: DemoUnitOid.PrivateClinic, name: 'Lääkäriaseman vastaanotto (demo)' } },
  { key: 'Pharmacy', id: DemoOrganizationId.Pharmacy, oid: DemoOrganizationOid.Pharmacy, name: 'Apteekki (demo)', registerKind: 'private-health', custodianType: '2', region: 'uusimaa', unit: { oid: DemoUnitOid.Pharmacy, name: 'Apteekin toimipiste (demo)' } },
  { key: 'UusimaaSocialCare', id: DemoOrganizationId.UusimaaSocialCare, oid: DemoOrganizationOid.UusimaaSocialCare, name: 'Uudenmaan hyvinvointialue A, sosiaalihuolto (demo)', registerKind: 'social-care', custodianType: '1', region: 'uusimaa', unit: { oid: DemoUnitOid.ChildWelfare, name: 'Lastensuojelu (demo)', mainResponsibleUnitSocial: true } },
  { key: 'SocialCareAuthority', id: DemoOrganizationId.SocialCareAuthority, oid: DemoOrganizationOid.SocialCareAuthority, name: 'Sosiaaliviranomainen (demo)', registerKind: 'social-care', custodianType: '1', region: 'other', unit: { oid: DemoUnitOid.AuthorityOffice, name: 'Viranomaisen toimisto (demo)' } },
  { key: 'OccupationalHealth', id: DemoOrganizationId.OccupationalHealth, oid: DemoOrganizationOid.OccupationalHealth, name: 'Työterveys Oy (demo)', registerKind: 'occupational-health', custodianType: '2', region: 'other', unit: { oid: DemoUnitOid.OccupationalClinic, name: 'Työterveysasema (demo)' } },
];

export const unitId = (p: DemoProvider): string => p.id.replace(/^org-/, 'unit-');

/** Register holders and their units (units carry the päävastuullinen flags). */
export function demoOrganizations(): Organization[] {
  return demoProviders.flatMap((p) => [
    toOrganization({ id: p.id, oid: p.oid, name: p.name, registerKinds: [p.registerKind], custodianType: p.custodianType, region: p.region }),
    toOrganization({
      id: unitId(p), oid: p.unit.oid, name: p.unit.name, registerKinds: [p.registerKind], custodianType: p.custodianType, region: p.region,
      partOf: `Organization/${p.id}`, mainResponsibleUnitHealth: p.unit.mainResponsibleUnitHealth, mainResponsibleUnitSocial: p.unit.mainResponsibleUnitSocial,
    }),
  ]);
}
