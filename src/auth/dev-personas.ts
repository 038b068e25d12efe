// Demo personas the development issuer mints tokens for; their ids point at the demo population. https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
import type { KantaClaims } from './claims.js';

// The demo population (src/kanta/demo-ids.ts) owns the ids; personas only point at them.
import { DemoAppClientId, DemoHetu, DemoOrganizationOid, DemoPatientId, DemoUnitOid } from '../kanta/demo-ids.js';

export const DemoPatient = DemoPatientId;
export const DemoOrganization = DemoOrganizationOid;
export const DemoUnit = DemoUnitOid;

export const DemoClient = {
  WellnessApp: DemoAppClientId,
  Importer: 'demo-importer',
} as const;

export interface DevPersona {
  id: string;
  /** One line for the README table. */
  description: string;
  /** Rules the persona demonstrates. */
  rules: string[];
  claims: KantaClaims;
}

const professional = 'user/*.cruds';

export const devPersonas: readonly DevPersona[] = [
  {
    id: 'citizen',
    description: 'Maija, adult citizen reading her own records in OmaKanta',
    rules: ['C1', 'C6', 'A4'],
    claims: { sub: DemoHetu.Adult, kanta_role: 'citizen', name: 'Maija Meikäläinen', patient: DemoPatient.Adult, scope: 'patient/*.cruds' },
  },
  {
    id: 'guardian-child-9',
    description: 'Matti, guardian of Aino (9 years)',
    rules: ['C3'],
    claims: { sub: DemoHetu.Guardian, kanta_role: 'guardian', name: 'Matti Meikäläinen', patient: DemoPatient.Child9, scope: 'patient/*.cruds' },
  },
  {
    id: 'guardian-child-12',
    description: 'Matti, guardian of Eino (12 years)',
    rules: ['C3'],
    claims: { sub: DemoHetu.Guardian, kanta_role: 'guardian', name: 'Matti Meikäläinen', patient: DemoPatient.Child12, scope: 'patient/*.cruds' },
  },
  {
    id: 'minor-12',
    description: 'Eino (12 years) acting alone',
    rules: ['C5'],
    claims: { sub: DemoHetu.Child12, kanta_role: 'citizen', name: 'Eino Meikäläinen', patient: DemoPatient.Child12, scope: 'patient/*.cruds' },
  },
  {
    id: 'proxy-health',
    description: 'Kalle, adult proxy for Elsa with the Suomi.fi health-care mandate',
    rules: ['C4'],
    claims: { sub: DemoHetu.Proxy, kanta_role: 'proxy', name: 'Kalle Virtanen', patient: DemoPatient.Elderly, mandates: ['health'], scope: 'patient/*.cruds' },
  },
  {
    id: 'doctor-uusimaa',
    description: 'Physician at an Uusimaa public health-care provider, treating Maija',
    rules: ['D1', 'D2', 'D7', 'D9'],
    claims: {
      sub: '030368-9064',
      kanta_role: 'professional',
      name: 'Dr. Laura Lääkäri',
      organization: DemoOrganization.UusimaaPublicHealth,
      unit: DemoUnit.UusimaaEmergency,
      sector: 'health',
      purpose_of_use: 'TREAT',
      care_relationship: 'treatment',
      patient: DemoPatient.Adult,
      scope: professional,
    },
  },
  {
    id: 'nurse-uusimaa-2',
    description: 'Nurse at a second Uusimaa public provider (D7 reads without a permission)',
    rules: ['D7'],
    claims: {
      sub: '121290-908X',
      kanta_role: 'professional',
      name: 'Hanna Hoitaja',
      organization: DemoOrganization.UusimaaPublicHealth2,
      unit: DemoUnit.UusimaaHealthCentre,
      sector: 'health',
      purpose_of_use: 'TREAT',
      care_relationship: 'treatment',
      patient: DemoPatient.Adult,
      scope: professional,
    },
  },
  {
    id: 'doctor-other-county',
    description: 'Physician at a public provider outside Uusimaa (needs the health permission)',
    rules: ['D2', 'D3', 'D10'],
    claims: {
      sub: '250677-9095',
      kanta_role: 'professional',
      name: 'Dr. Pekka Potilas',
      organization: DemoOrganization.OtherCountyHealth,
      unit: DemoUnit.OtherCountyClinic,
      sector: 'health',
      purpose_of_use: 'TREAT',
      care_relationship: 'treatment',
      patient: DemoPatient.Adult,
      scope: professional,
    },
  },
  {
    id: 'doctor-private',
    description: 'Physician at a private provider',
    rules: ['D1', 'D2'],
    claims: {
      sub: '080881-910V',
      kanta_role: 'professional',
      name: 'Dr. Sari Yksityinen',
      organization: DemoOrganization.PrivateHealth,
      unit: DemoUnit.PrivateClinic,
      sector: 'health',
      purpose_of_use: 'TREAT',
      care_relationship: 'treatment',
      patient: DemoPatient.Adult,
      scope: professional,
    },
  },
  {
    id: 'pharmacist',
    description: 'Pharmacist dispensing prescriptions',
    rules: ['D6'],
    claims: {
      sub: '191175-914Y',
      kanta_role: 'professional',
      name: 'Paula Proviisori',
      organization: DemoOrganization.Pharmacy,
      unit: DemoUnit.Pharmacy,
      sector: 'health',
      purpose_of_use: 'TREAT',
      care_relationship: 'dispensing',
      pharmacy: true,
      patient: DemoPatient.Adult,
      scope: 'user/MedicationRequest.rs user/MedicationDispense.cruds user/Patient.rs',
    },
  },
  {
    id: 'social-worker',
    description: 'Social worker in child welfare (main responsible social-care unit)',
    rules: ['D4', 'D5', 'D9'],
    claims: {
      sub: '070786-912S',
      kanta_role: 'professional',
      name: 'Sanna Sosiaalityöntekijä',
      organization: DemoOrganization.UusimaaSocialCare,
      unit: DemoUnit.ChildWelfare,
      sector: 'social',
      purpose_of_use: 'TREAT',
      care_relationship: 'client-relationship',
      patient: DemoPatient.Child12,
      scope: professional,
    },
  },
  {
    id: 'social-authority',
    description: 'Social-care authority using a statutory right to information',
    rules: ['D8'],
    claims: {
      sub: '140159-913H',
      kanta_role: 'professional',
      name: 'Vilho Viranomainen',
      organization: DemoOrganization.SocialCareAuthority,
      unit: DemoUnit.AuthorityOffice,
      sector: 'social',
      purpose_of_use: 'PUBHLTH',
      // Placeholder citation; the demo data and README state which statute the demo uses.
      legal_basis: 'Laki sosiaalihuollon asiakkaan asemasta ja oikeuksista 812/2000 20 §',
      patient: DemoPatient.Child12,
      scope: 'user/*.rs',
    },
  },
  {
    id: 'wellness-app',
    description: "Wellness app writing Maija's personal-data-store Observations",
    rules: ['P1', 'P2'],
    claims: { sub: DemoClient.WellnessApp, kanta_role: 'app', client_id: DemoClient.WellnessApp, patient: DemoPatient.Adult, scope: 'patient/Observation.cruds' },
  },
  {
    id: 'importer',
    description: 'Back-office system importing Kanta source records',
    rules: [],
    claims: { sub: DemoClient.Importer, kanta_role: 'system', client_id: DemoClient.Importer, scope: 'system/*.cruds' },
  },
];
