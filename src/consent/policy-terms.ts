// The Kanta marks a disclosure condition tests: register holder and kind, patient, consent kind. https://hl7.org/fhir/R4/search.html
import type { Sector } from '../context.js';
import { type ConsentKindCode, HealthRegisterKinds, LocalSystem, RegisterKind, SocialRegisterKinds } from '../kanta/codes.js';
import type { Condition } from '../store/resource-store.js';
import { param, security } from './conditions.js';

/** Register kinds of a sector; the personal data store belongs to no care sector (P2). */
export const kindsOf = (s: Sector): readonly string[] => (s === 'health' ? HealthRegisterKinds : SocialRegisterKinds);
export const isSocial = (): Condition => security(LocalSystem.RegisterKind, SocialRegisterKinds);
export const isPds = (): Condition => security(LocalSystem.RegisterKind, [RegisterKind.PersonalDataStore]);
export const holder = (oids: readonly string[]): Condition => security(LocalSystem.RegisterHolder, oids);
export const ofPatient = (p: string): Condition => param('patient', [`Patient/${p}`]);
export const consentKinds = (kinds: readonly ConsentKindCode[]): Condition =>
  param(
    'category',
    kinds.map((k) => `${LocalSystem.ConsentKind}|${k}`)
  );
