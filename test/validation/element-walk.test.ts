// The element checks walk only the elements a resource has; they report exactly what a walk over every schema element reports.
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { generatePopulation } from '../../src/kanta/generator.js';
import { createValidator, isValid } from '../../src/validation/validator.js';
import { profileExamples, projectValidatorOptions } from '../support/validation-fixtures.js';

const options = projectValidatorOptions();
// Both on medplum's structure validator: the walks compared here are the element checks' own (structure-walk.test.ts compares the validator's walk).
const present = createValidator({ ...options, structure: 'medplum' });
const every = createValidator({ ...options, structure: 'medplum', elementWalk: 'every' });

const examples = profileExamples();

/** Broken copies of a generated resource: each hits one of the element checks (date, binding, reference, type, HETU). */
function broken(r: Resource): Resource[] {
  const any = r as unknown as Record<string, unknown>;
  const out: Record<string, unknown>[] = [];
  if (typeof any.birthDate === 'string') out.push({ ...any, birthDate: '1980-02-30' });
  if (typeof any.status === 'string') out.push({ ...any, status: 'no-such-status' });
  if (any.subject) out.push({ ...any, subject: { reference: 'Organization/x' } });
  if (Array.isArray(any.identifier)) out.push({ ...any, identifier: [...any.identifier, { system: 'urn:oid:1.2.246.21', value: '010180-900Y' }] });
  if (any.period) out.push({ ...any, period: { start: '2024-01-01T10:00:00' } });
  if (Array.isArray(any.extension)) out.push({ ...any, extension: any.extension.map((e: Record<string, unknown>) => ({ url: e.url, valueInteger: 3 })) });
  out.push({ ...any, meta: { ...(any.meta as object), profile: undefined }, text: 7 });
  return out as unknown as Resource[];
}

describe('element checks: walking present elements only', () => {
  const population = [...generatePopulation({ seed: 11, patients: 40, asOf: '2025-06-01' })].flat();

  test('generated resources, their broken copies and the profile examples get the same outcome from both walks', () => {
    let inputs = 0;
    let invalid = 0;
    for (const r of [...population, ...population.flatMap(broken), ...examples]) {
      const outcome = present.validate(r);
      expect(outcome, `${r.resourceType}/${r.id}`).toEqual(every.validate(r));
      inputs++;
      if (!isValid(outcome)) invalid++;
    }
    expect(population.length).toBeGreaterThan(300);
    // Both kinds were compared: outcomes with errors (the broken copies) and without (the population).
    expect(invalid).toBeGreaterThan(population.length);
    expect(inputs - invalid).toBeGreaterThanOrEqual(population.length);
  });
});
