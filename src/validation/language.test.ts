// Accept-Language negotiation for OperationOutcome texts (SPEC F3).
import { describe, expect, test } from 'vitest';
import { pickLanguage } from './language.js';

describe('pickLanguage', () => {
  test('F3: Accept-Language fi selects Finnish', () => {
    expect(pickLanguage('fi')).toBe('fi');
  });

  test('F3: sv;q=0.9, en;q=0.8 selects Swedish', () => {
    expect(pickLanguage('sv;q=0.9, en;q=0.8')).toBe('sv');
  });

  test('the highest q-value wins regardless of order', () => {
    expect(pickLanguage('en;q=0.5, fi-FI;q=0.9, sv;q=0.7')).toBe('fi');
  });

  test('regional tags match on their primary subtag', () => {
    expect(pickLanguage('sv-FI')).toBe('sv');
  });

  test('unsupported languages are skipped for the next acceptable one', () => {
    expect(pickLanguage('de-DE, de;q=0.9, sv;q=0.1')).toBe('sv');
  });

  test('q=0 means not acceptable', () => {
    expect(pickLanguage('fi;q=0, sv;q=0.2')).toBe('sv');
  });

  test('missing, wildcard and unsupported headers fall back to English', () => {
    expect(pickLanguage(undefined)).toBe('en');
    expect(pickLanguage('')).toBe('en');
    expect(pickLanguage('*')).toBe('en');
    expect(pickLanguage('de, ja')).toBe('en');
  });
});
