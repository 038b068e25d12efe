// The condition compiler's conjunctions: a parameter test repeated in the same AND is probed once. https://hl7.org/fhir/R4/search.html
import { describe, expect, it } from 'vitest';
import type { Condition } from '../store/resource-store.js';
import { createConditionCompiler } from './compile-condition.js';
import { createSearchRegistry } from './registry.js';

const compiler = createConditionCompiler(createSearchRegistry(), 'sqlite');
const probes = (sql: string) => (sql.match(/FROM search_reference/g) ?? []).length;

describe('conjunctions', () => {
  const bare: Condition = { kind: 'param', code: 'patient', values: ['p1'] };
  const typed: Condition = { kind: 'param', code: 'patient', values: ['Patient/p1'] };
  const other: Condition = { kind: 'param', code: 'patient', values: ['Patient/p2'] };

  it("drops a test that compiles to the same SQL as an earlier one (a search's own patient and the policy's guard)", () => {
    const once = compiler.filter([{ cond: bare }], 'DocumentReference', 'r');
    const twice = compiler.filter([{ cond: bare }, { cond: typed }], 'DocumentReference', 'r');
    expect(probes(once.sql.sql)).toBe(1);
    expect(probes(twice.sql.sql)).toBe(1);
    expect(twice.sql).toEqual(once.sql);
  });

  it('keeps tests that differ, so A AND B still asks for both', () => {
    const both = compiler.filter([{ cond: bare }, { cond: other }], 'DocumentReference', 'r');
    expect(probes(both.sql.sql)).toBe(2);
    expect(both.sql.params).toContain('p2');
  });
});
