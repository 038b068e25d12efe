// The supplementary invariants (ppc-2..5, org-1, dom-3) remembered by the part of the input they read give the results of evaluating every time.
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { generatePopulation } from '../../src/kanta/generator.js';
import { namesRead, presenceOnly } from '../../src/validation/invariant-cache.js';
import { createSupplementaryInvariants } from '../../src/validation/invariants.js';
import { loadR4Definitions } from '../../src/validation/r4-definitions.js';

const r4 = loadR4Definitions();

/** Copies that change what the invariants read: the patient (absent, null, odd values), the scope codes, names and identifiers, contained resources. */
function variants(r: Resource): Resource[] {
  const any = r as unknown as Record<string, unknown>;
  const { patient: _p, ...noPatient } = any;
  const scope = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code }] });
  const out: Record<string, unknown>[] = [any, noPatient];
  if (r.resourceType === 'Consent') {
    for (const code of ['patient-privacy', 'research', 'adr', 'treatment', 'other']) {
      out.push({ ...any, scope: scope(code) }, { ...noPatient, scope: scope(code) });
    }
    out.push({ ...noPatient, patient: null, scope: scope('research') });
    out.push({ ...noPatient, patient: {}, scope: scope('adr') });
    out.push({ ...noPatient, patient: [], scope: scope('adr') });
    out.push({ ...noPatient, patient: 'Patient/1', scope: scope('treatment') });
    out.push({ ...noPatient, _patient: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] }, scope: scope('treatment') });
    out.push({ ...noPatient, scope: { coding: [{ system: 'http://example.org', code: 'treatment' }] } });
  }
  if (r.resourceType === 'Organization') {
    out.push({ ...any, name: undefined }, { ...any, identifier: undefined }, { ...any, name: undefined, identifier: undefined }, { ...any, name: undefined, identifier: [] });
  }
  out.push({ ...any, contained: [{ resourceType: 'Basic', id: 'c1' }] });
  return out as unknown as Resource[];
}

describe('supplementary invariants with remembered results', () => {
  test('presenceOnly: only names tested with exists() and read no other way', () => {
    const e = "patient.exists() or scope.coding.where(system = 'x' and code = 'patient').exists().not()";
    expect([...presenceOnly(e, namesRead(e)!)]).toEqual(['patient']);
    const f = 'patient.exists() and patient.reference.exists()';
    expect(presenceOnly(f, namesRead(f)!).has('patient')).toBe(false);
    const g = 'scope.patient.exists() or patient.exists()';
    expect(presenceOnly(g, namesRead(g)!).has('patient')).toBe(false);
  });

  test('on the generated population and its variants, cached and uncached invariants report the same', () => {
    const population = [...generatePopulation({ seed: 3, patients: 40, asOf: '2025-06-01' })].flat();
    const cached = createSupplementaryInvariants(r4.typeDefinition);
    const plain = createSupplementaryInvariants(r4.typeDefinition, { cache: false });
    let compared = 0;
    let failing = 0;
    for (const r of population.filter((x) => x.resourceType === 'Consent' || x.resourceType === 'Organization').flatMap(variants)) {
      // Twice: the second run answers from the cache.
      const first = cached.check(r, 'en');
      expect(cached.check(r, 'en')).toEqual(first);
      expect(first, `${r.resourceType}/${r.id} ${JSON.stringify(r).slice(0, 300)}`).toEqual(plain.check(r, 'en'));
      compared++;
      if (first.length) failing++;
    }
    expect(compared).toBeGreaterThan(500);
    // Both verdicts were compared.
    expect(failing).toBeGreaterThan(50);
    expect(compared - failing).toBeGreaterThan(50);
  }, 120_000);
});
