// The wellness measurement kinds of the personal data store (Omatietovaranto): LOINC code, UCUM units and profile of each. https://loinc.org
import type { CodeableConcept } from '@medplum/fhirtypes';
import { LOCAL_BASE, ProfileId, profileUrl } from '../kanta/codes.js';

export const LoincSystem = 'http://loinc.org';
export const UcumSystem = 'http://unitsofmeasure.org';
export const ObservationCategorySystem = 'http://terminology.hl7.org/CodeSystem/observation-category';

/**
 * Which app wrote a wellness Observation: Kanta PHR's own extension (sub-extensions `name` and `applicationId`,
 * valueString). The gateway stamps it from the verified token on every app write, so an app cannot claim another's
 * name. See ../shared/reference/FINLAND.md §3.
 */
export const CreatingApplicationExtension = 'http://phr.kanta.fi/StructureDefinition/fiphr-ext-creatingapplication';
export const CreatingApplicationPart = { Name: 'name', ApplicationId: 'applicationId' } as const;
/** Searches wellness Observations by the writing app's client id (`creating-application=<client id>`). */
export const CreatingApplicationSearchParam = `${LOCAL_BASE}/SearchParameter/observation-creating-application`;

export const PhrKind = {
  BodyWeight: 'body-weight',
  BodyHeight: 'body-height',
  BloodPressure: 'blood-pressure',
  HeartRate: 'heart-rate',
  Steps: 'steps',
  BloodGlucose: 'blood-glucose',
  BodyTemperature: 'body-temperature',
  SleepDuration: 'sleep-duration',
} as const;
export type PhrKindCode = (typeof PhrKind)[keyof typeof PhrKind];

export interface PhrKindDefinition {
  /** Local profile id (profiles/phr/StructureDefinition-<id>.json; url = profileUrl(id)). */
  profileId: string;
  /** The Kanta PHR profile this one follows, where one is published. */
  kantaProfile?: string;
  /** The HL7 R4 vital-signs profile of the same measurement, where there is one. */
  hl7Profile?: string;
  loinc: string;
  display: string;
  category: 'vital-signs' | 'activity';
  /** Accepted UCUM codes of valueQuantity (or of every component, for a panel). */
  units: readonly string[];
  /** Panel: the component codes that must each appear exactly once; the panel itself carries no value. */
  components?: readonly { loinc: string; display: string }[];
}

const KantaPhr = 'http://phr.kanta.fi/StructureDefinition/';
const Hl7 = 'http://hl7.org/fhir/StructureDefinition/';
/** Profiles that name a measurement only together with Observation.code (generic vital signs). */
const GenericProfiles: readonly string[] = [`${KantaPhr}fiphr-sd-vitalsigns`, `${Hl7}vitalsigns`];

export const PhrKinds: Readonly<Record<PhrKindCode, PhrKindDefinition>> = {
  [PhrKind.BodyWeight]: { profileId: ProfileId.PhrBodyWeight, kantaProfile: `${KantaPhr}fiphr-sd-bodyweight`, hl7Profile: `${Hl7}bodyweight`, loinc: '29463-7', display: 'Body weight', category: 'vital-signs', units: ['kg'] },
  [PhrKind.BodyHeight]: { profileId: ProfileId.PhrBodyHeight, kantaProfile: `${KantaPhr}fiphr-sd-bodyheight`, hl7Profile: `${Hl7}bodyheight`, loinc: '8302-2', display: 'Body height', category: 'vital-signs', units: ['cm'] },
  [PhrKind.BloodPressure]: {
    profileId: ProfileId.PhrBloodPressure,
    kantaProfile: `${KantaPhr}fiphr-sd-bloodpressure`,
    hl7Profile: `${Hl7}bp`,
    loinc: '85354-9',
    display: 'Blood pressure panel with all children optional',
    category: 'vital-signs',
    units: ['mm[Hg]'],
    components: [
      { loinc: '8480-6', display: 'Systolic blood pressure' },
      { loinc: '8462-4', display: 'Diastolic blood pressure' },
    ],
  },
  [PhrKind.HeartRate]: { profileId: ProfileId.PhrHeartRate, kantaProfile: `${KantaPhr}fiphr-sd-vitalsigns`, hl7Profile: `${Hl7}heartrate`, loinc: '8867-4', display: 'Heart rate', category: 'vital-signs', units: ['/min'] },
  [PhrKind.Steps]: { profileId: ProfileId.PhrSteps, kantaProfile: `${KantaPhr}fiphr-sd-stepstaken`, loinc: '41950-7', display: 'Number of steps in 24 hour Measured', category: 'activity', units: ['/d', '{steps}/d'] },
  [PhrKind.BloodGlucose]: { profileId: ProfileId.PhrBloodGlucose, kantaProfile: `${KantaPhr}fiphr-sd-bloodglucose`, loinc: '14745-4', display: 'Glucose [Moles/volume] in Body fluid', category: 'vital-signs', units: ['mmol/L', 'mmol/l'] },
  [PhrKind.BodyTemperature]: { profileId: ProfileId.PhrBodyTemperature, kantaProfile: `${KantaPhr}fiphr-sd-vitalsigns`, hl7Profile: `${Hl7}bodytemp`, loinc: '8310-5', display: 'Body temperature', category: 'vital-signs', units: ['Cel'] },
  [PhrKind.SleepDuration]: { profileId: ProfileId.PhrSleepDuration, loinc: '93832-4', display: 'Sleep duration', category: 'activity', units: ['h', 'min'] },
};

export const phrKindCodes = (): PhrKindCode[] => Object.keys(PhrKinds) as PhrKindCode[];

/**
 * The kind a claimed profile names: ours, Kanta PHR's own canonical (fiphr-sd-*) or HL7's vital-signs profile, so
 * existing PHR apps work unchanged. The generic vital-signs profiles name a kind only with the LOINC code.
 */
export function equivalentPhrKind(url: string, code?: CodeableConcept): PhrKindCode | undefined {
  const u = url.split('|')[0];
  const kinds = phrKindCodes();
  const exact = kinds.find((k) => profileUrl(PhrKinds[k].profileId) === u || PhrKinds[k].hl7Profile === u || (PhrKinds[k].kantaProfile === u && !GenericProfiles.includes(u)));
  if (exact) return exact;
  if (!GenericProfiles.includes(u)) return undefined;
  return kinds.find((k) => PhrKinds[k].category === 'vital-signs' && code?.coding?.some((c) => c.system === LoincSystem && c.code === PhrKinds[k].loinc));
}

/** Our profile url equivalent to a claimed Kanta PHR or HL7 canonical (undefined when there is none). */
export function equivalentPhrProfile(url: string, resource: { resourceType: string; code?: CodeableConcept }): string | undefined {
  if (resource.resourceType !== 'Observation') return undefined;
  const kind = equivalentPhrKind(url, resource.code);
  return kind ? profileUrl(PhrKinds[kind].profileId) : undefined;
}

/** The foreign canonicals accepted as equivalents, for CapabilityStatement supportedProfile. */
export function equivalentPhrCanonicals(): string[] {
  const urls = phrKindCodes().flatMap((k) => [PhrKinds[k].kantaProfile, PhrKinds[k].hl7Profile]);
  return [...new Set([...urls, ...GenericProfiles].filter((u): u is string => !!u))].sort();
}

/** The kind whose profile a resource declares in meta.profile (Kanta PHR: declaring the profile is mandatory). */
export function declaredPhrKind(profiles: readonly string[] | undefined, code?: CodeableConcept): PhrKindCode | undefined {
  for (const p of profiles ?? []) {
    const kind = equivalentPhrKind(p, code);
    if (kind) return kind;
  }
  return undefined;
}

/** `system|code` search token of a kind's Observation.code. */
export const phrCodeToken = (kind: PhrKindCode): string => `${LoincSystem}|${PhrKinds[kind].loinc}`;
