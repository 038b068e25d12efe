// Profile constraints remembered by the part of the input they read give the results of evaluating every time.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { generatePopulation } from '../../src/kanta/generator.js';
import { loadConformanceResources } from '../../src/validation/load-profiles.js';
import { createProfileInvariants, namesRead } from '../../src/validation/profile-invariants.js';
import { createValidator } from '../../src/validation/validator.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const conformance = loadConformanceResources(['profiles', 'mappings', 'conformance'].map((d) => join(root, d)));
const validator = createValidator({ profiles: conformance.structureDefinitions, valueSets: conformance.valueSets, codeSystems: conformance.codeSystems });

/** Copies that break typical constraints: register marks, codes, identifiers, classes, references. */
function variants(r: Resource): Resource[] {
  const any = r as unknown as Record<string, unknown>;
  const meta = (any.meta ?? {}) as { security?: Array<Record<string, unknown>> };
  const out: Record<string, unknown>[] = [any];
  if (meta.security) {
    out.push({ ...any, meta: { ...meta, security: [] } });
    out.push({ ...any, meta: { ...meta, security: [...meta.security, ...meta.security] } });
    out.push({ ...any, meta: { ...meta, security: meta.security.map((c) => ({ ...c, code: 'other' })) } });
  }
  if (Array.isArray(any.identifier)) out.push({ ...any, identifier: [] }, { ...any, identifier: (any.identifier as object[]).map((i) => ({ ...i, value: '010180-9000' })) });
  if (any.class) out.push({ ...any, class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' } });
  if (any.provision) out.push({ ...any, provision: { type: 'deny' } });
  // A reference some constraints test only for presence (ppc-2..5: patient.exists() or ...).
  if (any.patient) {
    const { patient: _p, ...noPatient } = any;
    out.push(noPatient, { ...noPatient, patient: null }, { ...noPatient, patient: {} }, { ...noPatient, patient: [] }, { ...noPatient, patient: 'Patient/x' });
    out.push({ ...noPatient, scope: { coding: [{ system: 'something', code: 'research' }] } }, { ...any, scope: { coding: [{ system: 'something', code: 'adr' }] } });
  }
  if (any.category) out.push({ ...any, category: [] });
  if (any.type) out.push({ ...any, type: { text: 'no codes' } });
  if (any.relatesTo) out.push({ ...any, relatesTo: [{ code: 'appends' }] });
  return out as unknown as Resource[];
}

describe('profile constraints with remembered results', () => {
  test('namesRead: only constraints whose reads can be told from the text are remembered', () => {
    expect([...namesRead("meta.security.where(system = 'x|y' and code = 'z').count() = 1")!]).toEqual(expect.arrayContaining(['meta', 'security', 'system', 'code']));
    expect(namesRead("meta.security.where(system = 'x').count() = 1")!.has('x')).toBe(false);
    expect(namesRead("identifier.all(value = %resource.id)")).toBeUndefined();
    expect(namesRead('descendants().exists()')).toBeUndefined();
    expect(namesRead('$this.exists()')).toBeUndefined();
  });

  test('on the generated population and broken copies, cached and uncached constraints report the same', () => {
    const population = [...generatePopulation({ seed: 5, patients: 40, asOf: '2025-06-01' })].flat();
    let compared = 0;
    let failures = 0;
    for (const sd of validator.profiles()) {
      const elements = sd.snapshot?.element ?? [];
      const cached = createProfileInvariants(elements);
      const plain = createProfileInvariants(elements, { cache: false });
      const claims = population.filter((r) => r.meta?.profile?.includes(sd.url as string));
      for (const r of claims.flatMap(variants)) {
        // Twice: the second run answers from the cache.
        const first = cached.check(r, 'en');
        expect(cached.check(r, 'en')).toEqual(first);
        expect(first, `${sd.url} ${r.resourceType}/${r.id}`).toEqual(plain.check(r, 'en'));
        compared++;
        if (first.length) failures++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(failures).toBeGreaterThan(300);
    expect(compared - failures).toBeGreaterThan(300);
  });
});
