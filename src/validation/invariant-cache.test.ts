// A projector's key is the JSON of the node cut down to the elements its constraint reads, whether or not a node's memo is shared (invariant-cache.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProjector } from './invariant-cache.js';

/** The key as the definition says it: JSON.stringify of the cut-down node. */
function expectedKey(node: Record<string, unknown>, reads: Set<string>, presence: Set<string>): string {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(node)) {
    const name = k.startsWith('_') ? k.slice(1) : k;
    const kept = k === 'resourceType' || reads.has(name) || [...name].some((c, i) => i > 0 && c >= 'A' && c <= 'Z' && reads.has(name.slice(0, i)));
    if (!kept) continue;
    const v = node[k];
    out[k] = presence.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v) ? {} : v;
  }
  return JSON.stringify(out);
}

const names = ['resourceType', 'meta', 'patient', '_patient', 'scope', 'value', 'valueQuantity', '_valueString', 'category', 'status', 'a"b', 'x\u0000y'];
const values = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.boolean(), fc.constant({ reference: 'Patient/1' }), fc.constant([{ code: 'x' }]), fc.constant({}));

describe('createProjector', () => {
  it('gives JSON.stringify of the cut-down node, alone and with a memo shared by other constraints of the same node', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...names), values),
        fc.array(fc.tuple(fc.subarray(['meta', 'patient', 'scope', 'value', 'category', 'a"b', 'x\u0000y']), fc.subarray(['patient', 'meta', 'value'])), { minLength: 1, maxLength: 4 }),
        (node, constraints) => {
          const memo = new Map<string, string>();
          for (const [readList, presenceList] of constraints) {
            const reads = new Set(readList);
            const presence = new Set(presenceList.filter((p) => reads.has(p)));
            const project = createProjector(reads, presence);
            const expected = expectedKey(node, reads, presence);
            expect(project(node)).toBe(expected);
            expect(project(node, memo)).toBe(expected);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a value that is not an object is its own JSON', () => {
    const project = createProjector(new Set(['value']));
    expect(project('text')).toBe('"text"');
    expect(project([1, 2])).toBe('[1,2]');
    expect(project(undefined)).toBe('undefined');
  });
});
