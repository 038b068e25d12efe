// Canonical JSON: RFC 8785 key order, and the equivalence the audit append relies on (hashing the event it stores, unparsed).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units and drops undefined members (RFC 8785 section 3.2.3)', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, '\u00e9': 2, Z: { y: 1, x: 2 } })).toBe('{"Z":{"x":2,"y":1},"a":[true,null,"x"],"b":1,"\u00e9":2}');
  });

  it('serialises numbers and strings as JSON.stringify does', () => {
    expect(canonicalJson([1e21, 0.1, -0, 'a"\u2028'])).toBe(`[1e+21,0.1,0,${JSON.stringify('a"\u2028')}]`);
  });

  it('refuses what JSON cannot carry exactly', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
  });

  it('is the same for a value and its JSON round trip, so the append may hash the event before storing it', () => {
    // The stored event is JSON.stringify(event); verify hashes canonicalJson(JSON.parse(stored)).
    const value = fc.jsonValue().chain((v) => fc.constantFrom(v, { wrap: v, when: new Date(0), gone: undefined }));
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(canonicalJson(JSON.parse(JSON.stringify(v))));
      }),
      { numRuns: 500 },
    );
  });
});
