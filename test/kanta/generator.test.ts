// The synthetic population: deterministic, valid HETUs, every kind of record, conforming to the profiles.
import { fileURLToPath } from 'node:url';
import type { Consent, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { DemoOrganization, DemoPatient } from '../../src/auth/dev-personas.js';
import { LocalSystem } from '../../src/kanta/codes.js';
import { DemoOrganizationOid, DemoPatientId } from '../../src/kanta/demo-ids.js';
import { demoPopulation } from '../../src/kanta/demo-population.js';
import { generatePopulation } from '../../src/kanta/generator.js';
import { isValidHetu } from '../../src/kanta/hetu.js';
import { loadConformanceResources } from '../../src/validation/load-profiles.js';
import { createValidator, type Validator } from '../../src/validation/validator.js';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const errors = (o: OperationOutcome) => (o.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
const ASOF = '2026-06-01';
const all = (seed: number, patients: number) => [...generatePopulation({ seed, patients, asOf: ASOF })].flat();

let validator: Validator;
beforeAll(() => {
  const c = loadConformanceResources([root('profiles'), root('mappings')]);
  validator = createValidator({ profiles: c.structureDefinitions, valueSets: c.valueSets, codeSystems: c.codeSystems });
}, 60_000);

describe('synthetic population generator', () => {
  it('the same seed gives the same resources, another seed different ones', () => {
    expect(JSON.stringify(all(42, 50))).toBe(JSON.stringify(all(42, 50)));
    expect(JSON.stringify(all(42, 50))).not.toBe(JSON.stringify(all(43, 50)));
  });

  it('a slice generated with an offset equals the same patients generated in one run', () => {
    const whole = [...generatePopulation({ seed: 7, patients: 20, asOf: ASOF })].slice(11);
    const slice = [...generatePopulation({ seed: 7, patients: 10, asOf: ASOF, offset: 10 })];
    expect(JSON.stringify(slice)).toBe(JSON.stringify(whole));
  });

  it('every HETU is valid and unique, and every resource id is unique', () => {
    const resources = all(1, 2000);
    const hetus = resources.filter((r): r is Patient => r.resourceType === 'Patient').map((p) => p.identifier?.[0].value as string);
    expect(hetus.every(isValidHetu)).toBe(true);
    expect(new Set(hetus).size).toBe(hetus.length);
    const ids = resources.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("every synthetic person's given name is one given to the sex the HETU's individual number encodes (odd men, even women)", () => {
    const female = ['Aino', 'Helmi', 'Sofia', 'Ella', 'Olivia'];
    const male = ['Eino', 'Leo', 'Oliver', 'Väinö', 'Elias'];
    const patients = all(3, 300).filter((r): r is Patient => r.resourceType === 'Patient');
    const wrong = patients.filter((p) => {
      const odd = Number((p.identifier?.[0].value as string).slice(7, 10)) % 2 === 1;
      return !(odd ? male : female).includes(p.name?.[0]?.given?.[0] as string) || p.gender !== (odd ? 'male' : 'female');
    });
    expect(patients.length).toBeGreaterThan(300);
    expect(wrong.map((p) => `${p.id} ${p.identifier?.[0].value} ${p.name?.[0]?.given?.[0]} ${p.gender}`)).toEqual([]);
  });

  it('produces minors with guardians, versions, invalidations, delays, marks, social care, prescriptions and every consent kind', () => {
    const resources = all(3, 1500);
    const types = new Set(resources.map((r) => r.resourceType));
    for (const t of ['Organization', 'Patient', 'RelatedPerson', 'Encounter', 'DocumentReference', 'EpisodeOfCare', 'MedicationRequest', 'Task', 'Consent']) expect(types).toContain(t);
    const docs = resources.filter((r) => r.resourceType === 'DocumentReference') as Array<Resource & { status: string; extension?: { url: string }[] }>;
    expect(new Set(docs.map((d) => d.status))).toEqual(new Set(['current', 'superseded', 'entered-in-error']));
    expect(docs.some((d) => d.extension?.some((e) => e.url.endsWith('ReleaseDateForPatientViewing')))).toBe(true);
    const marks = new Set(docs.flatMap((d) => d.meta?.security ?? []).filter((c) => c.system === LocalSystem.DocumentMark).map((c) => c.code));
    expect(marks).toEqual(new Set(['other-person', 'special-content', 'local-main-view', 'professional-delay']));
    const kinds = new Set((resources.filter((r) => r.resourceType === 'Consent') as Consent[]).map((c) => c.category[0].coding?.[0].code));
    expect(kinds.size).toBe(11);
    const registers = new Set(resources.flatMap((r) => r.meta?.security ?? []).filter((c) => c.system === LocalSystem.RegisterKind).map((c) => c.code));
    expect(registers).toEqual(new Set(['public-health', 'private-health', 'occupational-health', 'social-care']));
  });

  it('averages about ten resources per patient (1,000,000 for 100,000 patients)', () => {
    const perPatient = (all(5, 1000).length - 16) / 1000;
    expect(perPatient).toBeGreaterThan(7);
    expect(perPatient).toBeLessThan(14);
  });

  it('F2: every generated resource conforms to its profile', () => {
    for (const r of all(9, 150)) {
      const outcome = validator.validate(r);
      expect(errors(outcome), `${r.resourceType}/${r.id}: ${JSON.stringify(errors(outcome))}`).toEqual([]);
    }
  });
});

describe('demo population', () => {
  it('F2: every demo resource conforms to its profile and ids are unique', () => {
    const resources = demoPopulation(ASOF);
    const ids = resources.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of resources) expect(errors(validator.validate(r)), `${r.resourceType}/${r.id}`).toEqual([]);
  });

  it('uses the patient ids and organisation OIDs of the development personas', () => {
    for (const id of Object.values(DemoPatient)) expect(Object.values(DemoPatientId)).toContain(id);
    for (const oid of Object.values(DemoOrganization)) expect(Object.values(DemoOrganizationOid)).toContain(oid);
    const ids = demoPopulation(ASOF).map((r) => `${r.resourceType}/${r.id}`);
    for (const id of Object.values(DemoPatient)) expect(ids).toContain(`Patient/${id}`);
  });

  it('the demo children are 9 and 12 years old on the reference day', () => {
    const patients = demoPopulation('2026-11-26').filter((r): r is Patient => r.resourceType === 'Patient');
    const age = (id: string) => {
      const b = patients.find((p) => p.id === id)?.birthDate as string;
      return 2026 - Number(b.slice(0, 4)) - ('11-26' < b.slice(5) ? 1 : 0);
    };
    expect(age(DemoPatientId.Child9)).toBe(9);
    expect(age(DemoPatientId.Child12)).toBe(12);
  });
});
