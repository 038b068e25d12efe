// The validator's own structure walk against @medplum/core's validator plus the element checks: the same outcome for generated, mutated and example resources.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { generatePopulation } from '../../src/kanta/generator.js';
import { createValidator, isValid } from '../../src/validation/validator.js';
import { profileExamples, projectValidatorOptions } from '../support/validation-fixtures.js';

const options = projectValidatorOptions();
const walk = createValidator(options);
// The reference: medplum's validator over every schema element, then the element checks over every schema element.
const reference = createValidator({ ...options, structure: 'medplum', elementWalk: 'every' });

const examples = profileExamples();
const population = [...generatePopulation({ seed: 5, patients: 30, asOf: '2025-06-01' })].flat();
const inputs = [...population, ...examples];

type Json = unknown;
/** Every place in a resource where a value sits: [parent, key] pairs, arrays included. */
function places(value: Json, out: Array<[Record<string, Json> | Json[], string | number]> = []): Array<[Record<string, Json> | Json[], string | number]> {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([value, i]);
      places(v, out);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'resourceType') continue;
      out.push([value as Record<string, Json>, k]);
      places(v, out);
    }
  }
  return out;
}

/** Structural breakages a client could send: each replaces, removes or adds one value. */
const Mutations: Array<(parent: Record<string, Json> | Json[], key: string | number) => void> = [
  (p, k) => (Array.isArray(p) ? p.splice(k as number, 1) : delete (p as Record<string, Json>)[k as string]),
  (p, k) => ((p as Record<string, Json>)[k as string] = null),
  (p, k) => ((p as Record<string, Json>)[k as string] = ''),
  (p, k) => ((p as Record<string, Json>)[k as string] = '  '),
  (p, k) => ((p as Record<string, Json>)[k as string] = 42.5),
  (p, k) => ((p as Record<string, Json>)[k as string] = -1),
  (p, k) => ((p as Record<string, Json>)[k as string] = true),
  (p, k) => ((p as Record<string, Json>)[k as string] = {}),
  (p, k) => ((p as Record<string, Json>)[k as string] = []),
  (p, k) => ((p as Record<string, Json>)[k as string] = 'not a date or code?'),
  (p, k) => ((p as Record<string, Json>)[k as string] = { url: 'http://example.org/x', valueString: 'x' }),
  (p, k) => {
    const v = (p as Record<string, Json>)[k as string];
    (p as Record<string, Json>)[k as string] = Array.isArray(v) ? v[0] : [v];
  },
  (p, k) => {
    if (!Array.isArray(p)) (p as Record<string, Json>)[`_${String(k)}`] = { extension: [{ url: 'http://example.org/e', valueCode: 'a' }] };
  },
  (p, k) => {
    if (!Array.isArray(p)) (p as Record<string, Json>)[`${String(k)}Extra`] = 'x';
  },
  (p) => {
    if (!Array.isArray(p)) Object.assign(p, { valueString: 'a', valueInteger: 1 });
  },
];

// On its own copy: medplum merges a complex element's `_element` twin into the element itself (it writes to its input).
function outcomeKeys(r: unknown, v: typeof walk) {
  return v.validate(structuredClone(r)).issue?.map((i) => `${i.severity}|${i.code}|${i.expression?.join(',')}|${i.details?.text}`);
}

const Runs = 1500;

describe('structure walk', () => {
  test('generated resources and profile examples get the same outcome as from medplum and the element checks', () => {
    let invalid = 0;
    for (const r of inputs) {
      const outcome = walk.validate(r);
      expect(outcome, `${r.resourceType}/${r.id}`).toEqual(reference.validate(r));
      if (!isValid(outcome)) invalid++;
    }
    // Examples include invalid ones, so both verdicts were compared.
    expect(invalid).toBeGreaterThan(0);
    expect(inputs.length - invalid).toBeGreaterThan(population.length - 1);
  });

  test('mutated resources (one to three breakages) get the same issues as from medplum and the element checks', () => {
    let invalid = 0;
    let complexTwins = 0;
    fc.assert(
      fc.property(fc.nat(inputs.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(Mutations.length - 1)), { minLength: 1, maxLength: 3 }), (which, steps) => {
        const r = structuredClone(inputs[which]) as unknown as Record<string, Json>;
        for (const [at, m] of steps) {
          const all = places(r);
          if (all.length === 0) break;
          const [parent, key] = all[at % all.length];
          Mutations[m](parent, key);
        }
        const got = outcomeKeys(r, walk);
        // Where they knowingly differ: a `_key` twin of a complex element is an unknown element to the walk, while
        // medplum merges it into the element (tested below).
        if (got?.some((k) => /\|Unknown element "_/.test(k))) {
          complexTwins++;
          return;
        }
        expect(got).toEqual(outcomeKeys(r, reference));
        if (!isValid(walk.validate(structuredClone(r)))) invalid++;
      }),
      { numRuns: Runs, seed: 20261202 }
    );
    expect(invalid).toBeGreaterThan((Runs * 2) / 3);
    expect(complexTwins).toBeLessThan(Runs / 10);
  });

  test('a backbone element given as a string is a wrong-type error naming its FHIR type, not the validator\'s registry key', () => {
    const document = structuredClone(examples.find((r) => r.resourceType === 'DocumentReference' && isValid(walk.validate(structuredClone(r))))) as unknown as Record<string, unknown>;
    document.content = ['a text'];
    const issues = walk.validate(document).issue ?? [];
    const wrongType = issues.find((i) => i.expression?.[0] === 'DocumentReference.content[0]' && i.code === 'structure');
    expect(wrongType?.details?.text).toBe('Wrong data type: expected DocumentReferenceContent, found string');
    expect(JSON.stringify(issues)).not.toMatch(/Kgw[0-9a-f]{12}/);
  });

  test('a CodeableConcept under a required binding whose coding is not an array is a structure error, not a processing failure', () => {
    const consent = structuredClone(examples.find((r) => r.resourceType === 'Consent' && isValid(walk.validate(structuredClone(r))))) as unknown as Record<string, unknown>;
    consent.scope = { coding: { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' } };
    const issues = walk.validate(consent).issue ?? [];
    expect(issues.some((i) => i.code === 'processing')).toBe(false);
    expect(issues.find((i) => i.expression?.[0] === 'Consent.scope.coding')?.details?.text).toBe('Expected an array of values');
  });

  test('a `_key` twin of a complex element is an unknown element, and the resource is left as sent (medplum merges it into the element)', () => {
    const encounter = structuredClone(population.find((r) => r.resourceType === 'Encounter' && (r as { class?: unknown }).class)) as unknown as Record<string, unknown>;
    encounter._class = { extension: [{ url: 'http://example.org/e', valueCode: 'a' }] };
    const sent = structuredClone(encounter);
    const issues = walk.validate(encounter).issue ?? [];
    expect(issues.find((i) => i.expression?.[0] === 'Encounter._class')?.details?.text).toBe('Unknown element "_class"');
    expect(encounter).toEqual(sent);
    // The reference accepts it, and writes the twin's keys into the element it was given.
    const copy = structuredClone(sent);
    expect(isValid(reference.validate(copy))).toBe(true);
    expect((copy.class as Record<string, unknown>).extension).toBeDefined();
  });
});

