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

describe('canonicalJson against a sorted JSON.stringify', () => {
  /**
   * The RFC 8785 form of JSON data in its plainest reading: every key quoted by JSON.stringify, keys sorted, members
   * joined. (A JSON.stringify replacer cannot be the oracle: JS objects list integer-like keys first.)
   */
  const sortedStringify = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.map(sortedStringify).join(',')}]`
      : v !== null && typeof v === 'object'
        ? `{${Object.keys(v)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${sortedStringify((v as Record<string, unknown>)[k])}`)
            .join(',')}}`
        : JSON.stringify(v);

  it('gives the same text for any JSON value, keys with quotes, escapes and non-ASCII included', () => {
    // Any UTF-16 units, lone surrogates and control characters included, and keys that differ only past a shared prefix.
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('a', 'B', '\u0000', '\u001f', '"', '\\', '\ud800', '\udc00', '\u00e9', '\uffff') }));
    const key = fc.oneof(text, fc.constantFrom('resourceType', 'resource', 'a.b', 'x-y', '$z', 'q"', 'back\\slash', '\u00e9', '\u2028', '10', '9'));
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 5 })),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(sortedStringify(v));
      }),
      { numRuns: 1000 },
    );
  });
});
