// Value-set expansion used for required bindings.
import { describe, expect, test } from 'vitest';
import { createTerminology } from './terminology.js';

const SYSTEM = 'https://example.org/CodeSystem/colour';

const terminology = createTerminology(
  [
    { resourceType: 'ValueSet', status: 'active', url: 'https://example.org/ValueSet/all', compose: { include: [{ system: SYSTEM }] } },
    {
      resourceType: 'ValueSet',
      status: 'active',
      url: 'https://example.org/ValueSet/warm',
      compose: { include: [{ system: SYSTEM, concept: [{ code: 'red' }, { code: 'orange' }] }], exclude: [{ system: SYSTEM, concept: [{ code: 'orange' }] }] },
    },
    { resourceType: 'ValueSet', status: 'active', url: 'https://example.org/ValueSet/nested', compose: { include: [{ valueSet: ['https://example.org/ValueSet/warm'] }] } },
    {
      resourceType: 'ValueSet',
      status: 'active',
      url: 'https://example.org/ValueSet/filtered',
      compose: { include: [{ system: 'http://snomed.info/sct', filter: [{ property: 'concept', op: 'is-a', value: '1' }] }] },
    },
  ],
  [{ resourceType: 'CodeSystem', status: 'active', content: 'complete', url: SYSTEM, concept: [{ code: 'red' }, { code: 'blue', concept: [{ code: 'navy' }] }] }]
);

describe('createTerminology', () => {
  test('a whole-code-system include contains nested concepts', () => {
    expect(terminology.validateCode('https://example.org/ValueSet/all', SYSTEM, 'navy')).toBe('valid');
    expect(terminology.validateCode('https://example.org/ValueSet/all', SYSTEM, 'green')).toBe('invalid');
  });

  test('explicit concept lists, excludes and nested value sets are honoured', () => {
    expect(terminology.validateCode('https://example.org/ValueSet/warm', SYSTEM, 'red')).toBe('valid');
    expect(terminology.validateCode('https://example.org/ValueSet/warm', SYSTEM, 'orange')).toBe('invalid');
    expect(terminology.validateCode('https://example.org/ValueSet/nested|1.0', SYSTEM, 'red')).toBe('valid');
  });

  test('a code without a system matches any system of the expansion; a wrong system does not', () => {
    expect(terminology.validateCode('https://example.org/ValueSet/warm', undefined, 'red')).toBe('valid');
    expect(terminology.validateCode('https://example.org/ValueSet/warm', 'https://other', 'red')).toBe('invalid');
  });

  test('filters and unknown value sets are unknown, never invalid', () => {
    expect(terminology.validateCode('https://example.org/ValueSet/filtered', 'http://snomed.info/sct', '2')).toBe('unknown');
    expect(terminology.validateCode('https://example.org/ValueSet/none', SYSTEM, 'red')).toBe('unknown');
  });
});
