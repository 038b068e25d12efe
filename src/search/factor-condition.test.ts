// factorCondition keeps every Condition's truth value: checked against a truth table over random trees.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Condition } from '../store/resource-store.js';
import { factorCondition } from './factor-condition.js';

const leaf = fc.constantFrom<Condition>(
  ...['a', 'b', 'c', 'd'].map((code) => ({ kind: 'param', code, values: ['x'] }) as Condition),
  { kind: 'true' },
  { kind: 'false' },
);

const tree: fc.Arbitrary<Condition> = fc.letrec<{ cond: Condition }>((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('cond'), { minLength: 0, maxLength: 4 }).map((all) => ({ kind: 'and', all }) as Condition),
    fc.array(tie('cond'), { minLength: 0, maxLength: 4 }).map((any) => ({ kind: 'or', any }) as Condition),
    tie('cond').map((cond) => ({ kind: 'not', cond }) as Condition),
  ),
})).cond;

/** SQL's reading of the tree: the compiler joins an empty AND as TRUE and an empty OR as FALSE. */
function holds(c: Condition, v: Record<string, boolean>): boolean {
  switch (c.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return c.all.every((x) => holds(x, v));
    case 'or':
      return c.any.some((x) => holds(x, v));
    case 'not':
      return !holds(c.cond, v);
    case 'param':
      return v[c.code];
    default:
      throw new Error(c.kind);
  }
}

const size = (c: Condition): number => (c.kind === 'and' ? c.all.reduce((n, x) => n + size(x), 0) : c.kind === 'or' ? c.any.reduce((n, x) => n + size(x), 0) : c.kind === 'not' ? size(c.cond) : c.kind === 'true' || c.kind === 'false' ? 0 : 1);

describe('factorCondition', () => {
  it('hoists the guards every branch shares, so each is tested once', () => {
    const patient: Condition = { kind: 'param', code: 'patient', values: ['Patient/p'] };
    const noPds: Condition = { kind: 'not', cond: { kind: 'param', code: '_security', values: ['pds'] } };
    const holder: Condition = { kind: 'param', code: '_security', values: ['holder'] };
    const kind: Condition = { kind: 'param', code: '_security', values: ['public'] };
    const policy: Condition = { kind: 'or', any: [{ kind: 'and', all: [noPds, patient, holder] }, { kind: 'and', all: [noPds, patient, kind] }] };
    expect(factorCondition(policy)).toEqual({ kind: 'and', all: [noPds, patient, { kind: 'or', any: [holder, kind] }] });
  });

  it('keeps the truth value of every tree under every assignment', () => {
    fc.assert(
      fc.property(tree, fc.record({ a: fc.boolean(), b: fc.boolean(), c: fc.boolean(), d: fc.boolean() }), (cond, v) => {
        const factored = factorCondition(cond);
        expect(holds(factored, v)).toBe(holds(cond, v));
        expect(size(factored)).toBeLessThanOrEqual(size(cond));
      }),
      { numRuns: 3000 },
    );
  });
});
