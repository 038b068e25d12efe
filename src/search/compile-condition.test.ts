// The condition compiler's conjunctions: a parameter test repeated in the same AND is probed once. https://hl7.org/fhir/R4/search.html
import { describe, expect, it, vi } from 'vitest';
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

describe('search filters', () => {
  const policyFor = (byType: Record<string, Condition>) => ({ forType: (t: string): Condition => byType[t] ?? { kind: 'true' } });
  const patient: Condition = { kind: 'param', code: 'patient', values: ['Patient/p1'] };
  const status: Condition = { kind: 'param', code: 'status', values: ['current'] };
  const guard: Condition = { kind: 'or', any: [{ kind: 'and', all: [patient, status] }, { kind: 'and', all: [patient, { kind: 'param', code: 'type', values: ['x|1'] }] }] };

  it('asked again, gives the same SQL as compiled afresh, and a changed policy or query gives its own', () => {
    const fresh = createConditionCompiler(createSearchRegistry(), 'sqlite');
    const first = compiler.searchFilter([patient], 'DocumentReference', 'r', policyFor({ DocumentReference: guard }));
    const again = compiler.searchFilter([patient], 'DocumentReference', 'r', policyFor({ DocumentReference: guard }));
    expect(again).toEqual(first);
    expect(again).toEqual(fresh.searchFilter([patient], 'DocumentReference', 'r', policyFor({ DocumentReference: guard })));
    // A caller may change what it got without changing what the next caller gets.
    again.sql.params.push('tampered');
    expect(compiler.searchFilter([patient], 'DocumentReference', 'r', policyFor({ DocumentReference: guard }))).toEqual(first);
    const stricter = compiler.searchFilter([patient], 'DocumentReference', 'r', policyFor({ DocumentReference: { kind: 'false' } }));
    expect(stricter.sql.sql).toContain('1=0');
    expect(compiler.searchFilter([status], 'DocumentReference', 'r', policyFor({ DocumentReference: guard })).sql).not.toEqual(first.sql);
  });

  it("a chained search follows the policy of the type it reaches, even when the searched type's policy is unchanged", () => {
    const chain: Condition = { kind: 'chain', code: 'encounter', targetType: 'Encounter', next: { kind: 'param', code: 'status', values: ['finished'] } };
    const open = compiler.searchFilter([chain], 'DocumentReference', 'r', policyFor({ DocumentReference: guard }));
    const closed = compiler.searchFilter([chain], 'DocumentReference', 'r', policyFor({ DocumentReference: guard, Encounter: { kind: 'false' } }));
    expect(open.sql.sql).not.toContain('1=0');
    expect(closed.sql.sql).toContain('1=0');
  });

  it('a search with an approximate date (ap, which widens by its distance from now) is compiled afresh each time', () => {
    const near: Condition = { kind: 'param', code: 'date', values: ['ap2020-01-01'] };
    const policy = policyFor({ DocumentReference: guard });
    try {
      vi.spyOn(Date, 'now').mockReturnValue(Date.parse('2021-01-01T00:00:00Z'));
      const early = compiler.searchFilter([near], 'DocumentReference', 'r', policy);
      vi.spyOn(Date, 'now').mockReturnValue(Date.parse('2031-01-01T00:00:00Z'));
      const late = compiler.searchFilter([near], 'DocumentReference', 'r', policy);
      // Ten years on the window is wider: the second search did not get the first one's SQL.
      expect(late.sql.params).not.toEqual(early.sql.params);
    } finally {
      vi.restoreAllMocks();
    }
  });
});

describe('filters whose plan does not depend on their values (PostgreSQL prepares those: StatementOptions.samePlan)', () => {
  const pg = createConditionCompiler(createSearchRegistry(), 'postgres');
  const policy = { forType: (): Condition => ({ kind: 'not', cond: { kind: 'param', code: '_security', values: ['https://example.org/register-kind|personal-data-store'] } }) };
  const plan = (where: Condition[], type = 'DocumentReference') => pg.searchFilter(where, type, 'r', policy).samePlan;

  it("a patient's own records, selected by the patient's key, with every other test a per-row probe", () => {
    expect(plan([{ kind: 'param', code: 'patient', values: ['Patient/p1'] }])).toBe(true);
    expect(plan([{ kind: 'param', code: 'patient', values: ['p1'] }, { kind: 'param', code: 'status', values: ['current'] }])).toBe(true);
    expect(plan([{ kind: 'compartment', id: 'p1' } as Condition])).toBe(true);
    const sql = pg.searchFilter([{ kind: 'param', code: 'patient', values: ['Patient/p1'] }], 'DocumentReference', 'r', policy).sql.sql;
    // The prohibition stays a probe of the row's own index entries whatever the values.
    expect(sql).toMatch(/NOT \(?EXISTS \(SELECT 1 FROM search_token x WHERE x\.rid = r\.rid AND x\.code = \? AND .* OFFSET 0\)/);
  });

  it('not when the driver may select a million rows (another type, a token), nor through chains, which reach other tables', () => {
    expect(plan([{ kind: 'param', code: 'custodian', values: ['Organization/o1'] }])).toBe(false);
    expect(plan([{ kind: 'param', code: 'subject', values: ['Group/g1'] }])).toBe(false);
    expect(plan([{ kind: 'param', code: 'status', values: ['current'] }])).toBe(false);
    expect(plan([{ kind: 'param', code: 'patient', values: ['Patient/p1'] }, { kind: 'chain', code: 'encounter', targetType: 'Encounter', next: { kind: 'param', code: 'status', values: ['finished'] } }])).toBe(false);
    expect(plan([{ kind: 'param', code: 'patient', modifier: 'identifier', values: ['urn:oid:1.2.246.21|010101-123N'] } as Condition])).toBe(false);
  });
});
