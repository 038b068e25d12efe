// Unit tests of date ranges at their precision. https://hl7.org/fhir/R4/search.html#date
import { describe, expect, it } from 'vitest';
import { parseDateRange } from './date.js';

const iso = (r: [number, number] | undefined) => r?.map((x) => new Date(x).toISOString());

describe('parseDateRange', () => {
  it('a year covers the whole year, a month the whole month, a day the whole day', () => {
    expect(iso(parseDateRange('2020'))).toEqual(['2020-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z']);
    expect(iso(parseDateRange('2020-02'))).toEqual(['2020-02-01T00:00:00.000Z', '2020-03-01T00:00:00.000Z']);
    expect(iso(parseDateRange('2020-02-29'))).toEqual(['2020-02-29T00:00:00.000Z', '2020-03-01T00:00:00.000Z']);
  });

  it('times honour their offset and precision', () => {
    expect(iso(parseDateRange('2020-01-01T10:00+02:00'))).toEqual(['2020-01-01T08:00:00.000Z', '2020-01-01T08:01:00.000Z']);
    expect(iso(parseDateRange('2020-01-01T10:00:05.123Z'))).toEqual(['2020-01-01T10:00:05.123Z', '2020-01-01T10:00:05.124Z']);
  });

  it('rejects impossible dates', () => {
    for (const bad of ['2020-13-45', '2021-02-29', '2020-01-01T25:00Z', 'yesterday', '20']) expect(parseDateRange(bad)).toBeUndefined();
  });
});
