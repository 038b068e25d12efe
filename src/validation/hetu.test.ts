// HETU check-character and date rules.
import { describe, expect, test } from 'vitest';
import { hetuCheckCharacter, isValidHetu } from './hetu.js';

describe('isValidHetu', () => {
  test.each([
    ['131052-308T', 'the classic example, 1900s'],
    ['010190-999W', 'a temporary individual number (900-999)'],
    ['010101A002S', 'born in 2001 with sign A'],
    ['010594Y9032', 'a new 1900s sign Y (2023 reform)'],
    ['290200A002C', 'a leap day in 2000'],
    ['311299+999E', 'born in 1899 with sign +'],
  ])('accepts %s (%s)', (value) => {
    expect(isValidHetu(value)).toBe(true);
  });

  test.each([
    ['010190-999Y', 'wrong check character'],
    ['131052-308S', 'wrong check character'],
    ['131352-308T', 'month 13'],
    ['290201A002M', 'no 29 February in 2001 (right check character)'],
    ['010101A001R', 'individual number 001 is never issued (right check character)'],
    ['131052G308T', 'G is not a century sign'],
    ['131052-308t', 'lower-case check character'],
    ['131052-308', 'too short'],
    [' 131052-308T', 'surrounding whitespace'],
  ])('rejects %s (%s)', (value) => {
    expect(isValidHetu(value)).toBe(false);
  });

  test('rejects values that are not strings', () => {
    expect(isValidHetu(1310523087)).toBe(false);
    expect(isValidHetu(undefined)).toBe(false);
  });

  test('the check character is DDMMYYNNN modulo 31 in the 31-character table', () => {
    expect(hetuCheckCharacter('131052', '308')).toBe('T');
    expect(hetuCheckCharacter('010190', '999')).toBe('W');
  });
});
