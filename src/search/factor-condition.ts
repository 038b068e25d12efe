// Boolean factoring of Condition trees before SQL: (A AND B) OR (A AND C) becomes A AND (B OR C). https://hl7.org/fhir/R4/search.html
import type { Condition } from '../store/resource-store.js';

/**
 * A disclosure policy is an OR of bases, and every basis repeats the same guards (the patient, "no prohibition",
 * the scopes); compiled as written, SQLite probes those guards again in each basis it tries. Hoisting the conjuncts
 * every branch shares is plain distributivity, so the answer cannot change (factor-condition.test.ts checks it
 * against a truth table), and each shared guard is probed once per row.
 */
export function factorCondition(cond: Condition): Condition {
  switch (cond.kind) {
    case 'and':
      return flatAnd(cond.all.map(factorCondition));
    case 'or':
      return factorOr(cond.any.map(factorCondition));
    case 'not':
      return { kind: 'not', cond: factorCondition(cond.cond) };
    default:
      return cond;
  }
}

const conjunctsOf = (c: Condition): Condition[] => (c.kind === 'and' ? c.all : c.kind === 'true' ? [] : [c]);

function flatAnd(parts: Condition[]): Condition {
  const all = parts.flatMap(conjunctsOf);
  if (all.some((c) => c.kind === 'false')) return { kind: 'false' };
  if (all.length === 0) return { kind: 'true' };
  return all.length === 1 ? all[0] : { kind: 'and', all };
}

function factorOr(branches: Condition[]): Condition {
  const live = branches.flatMap((b) => (b.kind === 'or' ? b.any : [b])).filter((b) => b.kind !== 'false');
  if (live.length === 0) return { kind: 'false' };
  if (live.some((b) => b.kind === 'true')) return { kind: 'true' };
  if (live.length === 1) return live[0];
  const keyed = live.map((b) => conjunctsOf(b).map((c) => ({ c, key: JSON.stringify(c) })));
  const shared = keyed[0].filter(({ key }) => keyed.every((k) => k.some((x) => x.key === key)));
  if (shared.length === 0) return { kind: 'or', any: live };
  const sharedKeys = new Set(shared.map((s) => s.key));
  const rests = keyed.map((k) => flatAnd(k.filter((x) => !sharedKeys.has(x.key)).map((x) => x.c)));
  // A branch left with nothing but the shared guards is true, and then so is the OR of the rests.
  const rest = rests.some((r) => r.kind === 'true') ? ({ kind: 'true' } as const) : factorOr(rests);
  return flatAnd([...shared.map((s) => s.c), rest]);
}
