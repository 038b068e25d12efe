// Small builders for the consent Condition trees pushed into every store query. https://hl7.org/fhir/R4/search.html
import type { Condition } from '../store/resource-store.js';

export const TRUE: Condition = { kind: 'true' };
export const FALSE: Condition = { kind: 'false' };

export function param(code: string, values: string[], modifier?: string): Condition {
  // An empty OR matches nothing; keep that explicit so the store never sees a value-less leaf.
  if (values.length === 0) return FALSE;
  return modifier ? { kind: 'param', code, modifier, values } : { kind: 'param', code, values };
}

/** `meta.security` test: the record carries one of `codes` in `system`. */
export function security(system: string, codes: readonly string[]): Condition {
  return param(
    '_security',
    codes.map((c) => `${system}|${c}`)
  );
}

/** AND with constant folding, so policies stay small and the SQL compiler sees no dead branches. */
export function and(...all: Condition[]): Condition {
  const kept: Condition[] = [];
  for (const c of all) {
    if (c.kind === 'false') return FALSE;
    if (c.kind === 'true') continue;
    if (c.kind === 'and') kept.push(...c.all);
    else kept.push(c);
  }
  if (kept.length === 0) return TRUE;
  if (kept.length === 1) return kept[0];
  return { kind: 'and', all: kept };
}

export function or(...any: Condition[]): Condition {
  const kept: Condition[] = [];
  for (const c of any) {
    if (c.kind === 'true') return TRUE;
    if (c.kind === 'false') continue;
    if (c.kind === 'or') kept.push(...c.any);
    else kept.push(c);
  }
  if (kept.length === 0) return FALSE;
  if (kept.length === 1) return kept[0];
  return { kind: 'or', any: kept };
}

export function not(cond: Condition): Condition {
  if (cond.kind === 'true') return FALSE;
  if (cond.kind === 'false') return TRUE;
  if (cond.kind === 'not') return cond.cond;
  return { kind: 'not', cond };
}

export function chain(code: string, targetType: string, next: Condition): Condition {
  if (next.kind === 'false') return FALSE;
  return { kind: 'chain', code, targetType, next };
}

/** Reverse chain: some `sourceType` resource passing `next` refers to the record through `refParam` (R4 `_has`). */
export function has(sourceType: string, refParam: string, next: Condition): Condition {
  if (next.kind === 'false') return FALSE;
  return { kind: 'has', sourceType, refParam, next };
}
