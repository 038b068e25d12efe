// presentMarks answers, for all of a schema's elements at once, what asking each element in turn answers (element-checks.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { presentMarks, type ElementKey } from './element-checks.js';

const startsUpper = (k: string, at: number): boolean => at < k.length && k[at] >= 'A' && k[at] <= 'Z';

/** The oracle, one element at a time: its value or `_element` part, or for `x[x]` any own key `xSomething` / `_xSomething`. */
function present(value: Record<string, unknown>, own: string[], e: ElementKey): boolean {
  if (!e.choice) return value[e.head] !== undefined || value[e.extensionHead] !== undefined;
  const h = e.head;
  const x = e.extensionHead;
  return own.some((k) => (k.startsWith(h) && startsUpper(k, h.length)) || (k.startsWith(x) && startsUpper(k, x.length)));
}

/** An element key as keysOf derives it from a schema's element path. */
function elementKey(key: string): ElementKey {
  const first = key.split('.')[0];
  const choice = first.endsWith('[x]');
  const head = choice ? first.slice(0, -3) : first;
  return { key, head, extensionHead: `_${head}`, choice };
}

// Heads that overlap on purpose: `value` and `valueCodeable` (a choice prefix inside another), `effective` as both.
const schemaKeys = ['id', 'status', 'identifier', 'identifier.system', 'value[x]', 'valueCodeable[x]', 'effective[x]', 'effective', 'code', 'code.coding', 'onset[x]', 'a[x]'];
const ownKeys = [
  'id', '_id', 'status', '_status', 'identifier', 'value', 'valueString', '_valueString', 'valueCodeableConcept', 'valueCodeable', 'valuecodeable',
  'effectiveDateTime', '_effectivePeriod', 'effective', 'code', 'onsetAge', 'onset', 'aB', 'a', 'A', '_', '', 'resourceType', 'extension', 'Value',
];

describe('presentMarks', () => {
  it('marks exactly the elements present() finds, for any object and any choice of schema elements', () => {
    fc.assert(
      fc.property(
        fc.subarray(schemaKeys, { minLength: 0 }),
        fc.dictionary(fc.constantFrom(...ownKeys), fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.constant({ a: 1 }), fc.constant([]))),
        (keys, value) => {
          const elementKeys = keys.map(elementKey);
          const own = Object.keys(value);
          const marks = presentMarks(value, own, elementKeys);
          expect([...marks].map((m) => m === 1)).toEqual(elementKeys.map((e) => present(value, own, e)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a primitive present only as its `_element` (id, extensions) counts, and a member set to undefined does not', () => {
    const keys = ['status', 'value[x]', 'code'].map(elementKey);
    const value = { _status: { extension: [] }, _valueBoolean: { id: 'x' }, code: undefined };
    expect([...presentMarks(value, Object.keys(value), keys)]).toEqual([1, 1, 0]);
  });
});
