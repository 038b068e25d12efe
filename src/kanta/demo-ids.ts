// Stable ids of the demo population; the development personas (src/auth/dev-personas.ts) point at the same values. https://hl7.org/fhir/R4/resource.html#id
/** Patient ids and HETUs (individual numbers 900-999: the test range). */
export const DemoPatientId = {
  Adult: 'demo-patient-maija',
  Child9: 'demo-patient-aino',
  Child12: 'demo-patient-eino',
  Elderly: 'demo-patient-elsa',
  Guardian: 'demo-patient-matti',
  Proxy: 'demo-patient-kalle',
} as const;

export const DemoHetu = {
  Adult: '150380-902U',
  Child9: '140317A9062',
  Child12: '200514A903N',
  Elderly: '030241-908D',
  Guardian: '220785-901U',
  Proxy: '110972-9076',
} as const;

/** Register holders (organisation OIDs, fictional). */
export const DemoOrganizationOid = {
  UusimaaPublicHealth: '1.2.246.10.99990001.10.0',
  UusimaaPublicHealth2: '1.2.246.10.99990002.10.0',
  OtherCountyHealth: '1.2.246.10.99990003.10.0',
  PrivateHealth: '1.2.246.10.99990004.10.0',
  Pharmacy: '1.2.246.10.99990005.10.0',
  UusimaaSocialCare: '1.2.246.10.99990006.10.0',
  SocialCareAuthority: '1.2.246.10.99990007.10.0',
  OccupationalHealth: '1.2.246.10.99990008.10.0',
} as const;

/** Service units (Organization with partOf = the register holder). */
export const DemoUnitOid = {
  UusimaaEmergency: '1.2.246.10.99990001.10.101',
  UusimaaHealthCentre: '1.2.246.10.99990002.10.201',
  OtherCountyClinic: '1.2.246.10.99990003.10.301',
  PrivateClinic: '1.2.246.10.99990004.10.401',
  Pharmacy: '1.2.246.10.99990005.10.501',
  /** Sos.PäävastuullinenYksikkö = T. */
  ChildWelfare: '1.2.246.10.99990006.10.601',
  AuthorityOffice: '1.2.246.10.99990007.10.701',
  OccupationalClinic: '1.2.246.10.99990008.10.801',
} as const;

/** Organization resource ids: `org-<key>` for register holders, `unit-<key>` for units (see demo-population.ts). */
export const DemoOrganizationId = {
  UusimaaPublicHealth: 'org-uusimaa-public',
  UusimaaPublicHealth2: 'org-uusimaa-public-2',
  OtherCountyHealth: 'org-other-public',
  PrivateHealth: 'org-private',
  Pharmacy: 'org-pharmacy',
  UusimaaSocialCare: 'org-social',
  SocialCareAuthority: 'org-social-authority',
  OccupationalHealth: 'org-occupational',
} as const;

export const DemoAppClientId = 'demo-wellness-app';
