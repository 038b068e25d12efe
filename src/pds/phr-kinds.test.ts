// The measurement table and the committed profiles in profiles/phr/ say the same thing (codes, units, categories).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { profileUrl } from '../kanta/codes.js';
import { declaredPhrKind, PhrKind, phrKindCodes, PhrKinds } from './phr-kinds.js';

const profile = (id: string): StructureDefinition =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../profiles/phr/StructureDefinition-${id}.json`, import.meta.url)), 'utf8')) as StructureDefinition;

describe('Omatietovaranto measurement kinds', () => {
  it.each(phrKindCodes())('F2: the profile of %s carries its LOINC code, UCUM units and category', (kind) => {
    const d = PhrKinds[kind];
    const sd = profile(d.profileId);
    expect(sd.url).toBe(profileUrl(d.profileId));
    const code = sd.differential?.element?.find((e) => e.id === 'Observation.code');
    expect(code?.patternCodeableConcept?.coding).toEqual([{ system: 'http://loinc.org', code: d.loinc }]);
    const rules = JSON.stringify(sd.differential?.element?.[0].constraint);
    for (const unit of d.units) expect(rules).toContain(`'${unit}'`);
    expect(rules).toContain(`code = '${d.category}'`);
    for (const c of d.components ?? []) expect(rules).toContain(c.loinc);
  });

  it('finds the kind a resource declares in meta.profile', () => {
    expect(declaredPhrKind([profileUrl('phr-steps')])).toBe(PhrKind.Steps);
    expect(declaredPhrKind(['http://hl7.org/fhir/StructureDefinition/vitalsigns'])).toBeUndefined();
    expect(declaredPhrKind(undefined)).toBeUndefined();
    // Existing Kanta PHR apps declare Kanta's or HL7's canonicals; generic vital-signs profiles need the code.
    expect(declaredPhrKind(['http://phr.kanta.fi/StructureDefinition/fiphr-sd-bloodpressure'])).toBe(PhrKind.BloodPressure);
    expect(declaredPhrKind(['http://hl7.org/fhir/StructureDefinition/bp|4.0.1'])).toBe(PhrKind.BloodPressure);
    expect(declaredPhrKind(['http://phr.kanta.fi/StructureDefinition/fiphr-sd-vitalsigns'], { coding: [{ system: 'http://loinc.org', code: '8310-5' }] })).toBe(PhrKind.BodyTemperature);
    expect(declaredPhrKind(['http://phr.kanta.fi/StructureDefinition/fiphr-sd-vitalsigns'])).toBeUndefined();
    expect(declaredPhrKind(['http://phr.kanta.fi/StructureDefinition/fiphr-sd-nutrition'])).toBeUndefined();
  });
});
