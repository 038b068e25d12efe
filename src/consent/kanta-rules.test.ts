// finnishDate: the calendar day in Finland, remembered per UTC minute, against Intl's own answer. https://www.tz.iana.org/tz-link.html
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finnishDate } from './kanta-rules.js';

const intlDay = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

describe('finnishDate', () => {
  it('agrees with Intl for any instant, asked twice (the second answer comes from the cache)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (d) => {
        expect(finnishDate(d)).toBe(intlDay(d));
        expect(finnishDate(d)).toBe(intlDay(d));
      }),
      { numRuns: 3000 },
    );
  });

  it('turns at Helsinki midnight, in winter (UTC+2) and in summer (UTC+3), to the millisecond', () => {
    expect(finnishDate(new Date('2026-01-14T21:59:59.999Z'))).toBe('2026-01-14');
    expect(finnishDate(new Date('2026-01-14T22:00:00.000Z'))).toBe('2026-01-15');
    expect(finnishDate(new Date('2026-07-14T20:59:59.999Z'))).toBe('2026-07-14');
    expect(finnishDate(new Date('2026-07-14T21:00:00.000Z'))).toBe('2026-07-15');
  });

  it('before May 1921 (local mean time, +1:39:49) turns within a minute, and is not taken from the minute cache', () => {
    expect(finnishDate(new Date('1900-01-01T22:20:10Z'))).toBe('1900-01-01');
    expect(finnishDate(new Date('1900-01-01T22:20:11Z'))).toBe('1900-01-02');
    expect(finnishDate(new Date('1900-01-01T22:20:10Z'))).toBe('1900-01-01');
  });
});
