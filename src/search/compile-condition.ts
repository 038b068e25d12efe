// Compiles the Condition tree (search requests and access policies alike) into SQL over the index tables. https://hl7.org/fhir/R4/search.html
import { badRequest, OperationOutcomeError } from '@medplum/core';
import { LRUCache } from 'lru-cache';
import type { SearchParameter } from '@medplum/fhirtypes';
import type { AccessPolicy, Condition, SortRule } from '../store/resource-store.js';
import type { SqlDialect } from '../store/sql/database.js';
import type { CompileEnv, RidMode, Sql } from './params/param-type.js';
import { factorCondition } from './factor-condition.js';
import { paramTypeOf } from './params/index.js';
import { joinSql, probeOnly, qualifiedCode, sql } from './params/sql-fragments.js';
import type { SearchRegistry } from './registry.js';

/** One per SQL statement, so nested subqueries get distinct aliases and the same query gets the same SQL text. */
export interface AliasCounter {
  n: number;
}

/** A condition to AND in, with the policy that applies to the resources it reaches through chains and _has. */
export interface Conjunct {
  cond: Condition;
  access?: AccessPolicy;
}

export interface CompiledFilter {
  sql: Sql;
  /** True when one conjunct can drive the query from an index, so the type filter should not. */
  driven: boolean;
  /**
   * True when the driver selects by a patient's key (the compartment, a reference to `Patient/<id>`, `_id`) and every
   * other conjunct is a per-row probe: one plan then serves any values (see StatementOptions.samePlan).
   */
  samePlan?: boolean;
}

export interface ConditionCompiler {
  /** `cond` as a predicate on the resource row aliased `alias` of type `resourceType`. */
  compile(cond: Condition, resourceType: string, alias: string, access?: AccessPolicy, aliases?: AliasCounter): Sql;
  /**
   * The AND of `conjuncts` (search conditions and the policy's own condition), phrased so the most selective
   * one drives the query and the others are per-row probes.
   */
  filter(conjuncts: Conjunct[], resourceType: string, alias: string, aliases?: AliasCounter): CompiledFilter;
  /** The access policy's condition for `resourceType` (TRUE without a policy). */
  access(resourceType: string, alias: string, access?: AccessPolicy, aliases?: AliasCounter): Sql;
  /**
   * A search's WHERE filter: its conditions (each under `access` through chains and _has) ANDed with the policy's own
   * condition for `resourceType`, factored; counted from alias a1.
   */
  searchFilter(where: Condition[], resourceType: string, alias: string, access?: AccessPolicy): CompiledFilter;
  /** ORDER BY terms for one sort rule. */
  sort(rule: SortRule, resourceType: string, alias: string): Sql;
  env: CompileEnv;
}

const bad = (msg: string, expr?: string): OperationOutcomeError => new OperationOutcomeError(badRequest(msg, expr));

/** The parameter codes a Condition tests first, used to pick chain target types. */
function leadingCode(cond: Condition): string | undefined {
  if (cond.kind === 'param' || cond.kind === 'chain') return cond.code;
  return undefined;
}

export function createConditionCompiler(registry: SearchRegistry, dialect: SqlDialect): ConditionCompiler {
  const types = new Set(registry.resourceTypes());
  const env: CompileEnv = { dialect, isResourceType: (t) => types.has(t) };

  const param = (resourceType: string, code: string): SearchParameter => {
    const sp = registry.get(resourceType, code);
    if (!sp) throw bad(`Unknown search parameter '${code}' for resource type '${resourceType}'`, code);
    return sp;
  };

  /** How well a condition can drive a query from an index (0: it cannot, e.g. negations). */
  function score(cond: Condition, resourceType: string): number {
    switch (cond.kind) {
      case 'compartment':
        return 100;
      case 'param': {
        if (cond.modifier === 'missing' || cond.modifier === 'not' || cond.values.length === 0) return 0;
        if (cond.code === '_id') return 90;
        const type = registry.get(resourceType, cond.code)?.type;
        if (type === 'reference') return 80;
        if (type === 'token') return cond.modifier === 'text' ? 10 : 60;
        if (type === 'string' || type === 'uri') return 50;
        return 30;
      }
      case 'chain':
        return 70;
      case 'has':
        return 40;
      case 'and':
        return Math.max(0, ...cond.all.map((c) => score(c, resourceType)));
      case 'or':
        return cond.any.length ? Math.min(...cond.any.map((c) => score(c, resourceType))) : 0;
      default:
        return 0;
    }
  }

  /**
   * A AND A is A: a parameter test that compiles to the same SQL as an earlier one is dropped, e.g. a search's own
   * `patient=p` and the same patient guard of the caller's access policy (`Patient/p`), which each candidate row
   * was probed for twice. Only plain parameter tests, whose SQL depends on nothing but the condition.
   */
  function dropRepeatedTests(flat: Conjunct[], resourceType: string, alias: string, depth: AliasCounter): void {
    if (flat.filter((c) => c.cond.kind === 'param').length < 2) return;
    const seen = new Set<string>();
    for (let i = 0; i < flat.length; i++) {
      if (flat[i].cond.kind !== 'param') continue;
      const probe = compileWith(flat[i].cond, resourceType, alias, undefined, { n: depth.n }, 'exists');
      const key = `${probe.sql}\u0000${JSON.stringify(probe.params)}`;
      if (seen.has(key)) flat.splice(i--, 1);
      else seen.add(key);
    }
  }

  /** ANDs conjuncts: the best-scoring one in `in` mode (when this level may drive), the rest as probes. */
  function conjunction(items: Conjunct[], resourceType: string, alias: string, depth: AliasCounter, mode: RidMode): CompiledFilter {
    const flat: Conjunct[] = [];
    const flatten = (c: Conjunct): void => {
      if (c.cond.kind === 'and') c.cond.all.forEach((cond) => flatten({ cond, access: c.access }));
      else flat.push(c);
    }
    items.forEach(flatten);
    dropRepeatedTests(flat, resourceType, alias, depth);
    let driver = -1;
    if (mode === 'in') {
      let best = 0;
      flat.forEach((c, i) => {
        const s = score(c.cond, resourceType);
        if (s > best) [best, driver] = [s, i];
      });
    }
    const parts = flat.map((c, i) => compileWith(c.cond, resourceType, alias, c.access, depth, i === driver ? 'in' : 'exists'));
    const driverCond = driver >= 0 ? flat[driver].cond : undefined;
    const byId = driverCond?.kind === 'param' && driverCond.code === '_id';
    const samePlan = driverCond !== undefined && drivesByPatientKey(driverCond, resourceType) && !flat.some((c) => reachesOthers(c.cond));
    return { sql: joinSql(parts, 'AND', 'TRUE'), driven: driver >= 0 && !byId, samePlan };
  }

  /**
   * A patient's own records are few whatever the values, so a plan made for no patient in particular suits every
   * patient. A reference to any other type may have a million referrers (an organisation), where only a plan made for
   * the value can choose well.
   */
  function drivesByPatientKey(cond: Condition, resourceType: string): boolean {
    if (cond.kind === 'compartment') return true;
    if (cond.kind !== 'param' || cond.modifier) return false;
    if (cond.code === '_id') return true;
    const sp = registry.get(resourceType, cond.code);
    if (sp?.type !== 'reference') return false;
    const onlyPatients = sp.target?.length === 1 && sp.target[0] === 'Patient';
    return cond.values.every((v) => v.startsWith('Patient/') || (onlyPatients && !v.includes('/')));
  }

  function compileWith(cond: Condition, resourceType: string, alias: string, access: AccessPolicy | undefined, depth: AliasCounter, mode: RidMode): Sql {
    const next = (): string => `a${++depth.n}`;
    switch (cond.kind) {
      case 'true':
        return sql('1=1');
      case 'false':
        return sql('1=0');
      case 'and':
        return conjunction(cond.all.map((c) => ({ cond: c, access })), resourceType, alias, depth, mode).sql;
      case 'or':
        return joinSql(cond.any.map((c) => compileWith(c, resourceType, alias, access, depth, mode)), 'OR', 'FALSE');
      case 'not': {
        const inner = compileWith(cond.cond, resourceType, alias, access, depth, 'exists');
        return sql(`NOT (${inner.sql})`, inner.params);
      }
      case 'compartment':
        return mode === 'in'
          ? sql(`${alias}.rid IN (SELECT rid FROM compartment WHERE patient_id = ?)`, [cond.id])
          : sql(`EXISTS (SELECT 1 FROM compartment c WHERE c.rid = ${alias}.rid AND c.patient_id = ?${probeOnly(dialect)})`, [cond.id]);
      case 'param': {
        if (cond.code === '_id') {
          const marks = cond.values.map(() => '?').join(', ');
          if (cond.modifier === 'missing') return sql(cond.values[0] === 'true' ? '1=0' : '1=1');
          return sql(`${alias}.id ${cond.modifier === 'not' ? 'NOT IN' : 'IN'} (${marks})`, cond.values);
        }
        const sp = param(resourceType, cond.code);
        const module = paramTypeOf(sp.type);
        if (!module) throw bad(`Search parameter '${cond.code}' of type '${sp.type}' is not supported`, cond.code);
        if (cond.modifier === 'missing') {
          const missing = cond.values[0] === 'true';
          return sql(`${missing ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${module.table} m WHERE m.rid = ${alias}.rid AND m.code = ?${probeOnly(dialect)})`, [qualifiedCode(resourceType, cond.code)]);
        }
        return module.compile({ ...cond, code: qualifiedCode(resourceType, cond.code) }, sp, `${alias}.rid`, env, mode);
      }
      case 'chain': {
        const sp = param(resourceType, cond.code);
        if (sp.type !== 'reference') throw bad(`Search parameter '${cond.code}' is not a reference and cannot be chained`, cond.code);
        const nextCode = leadingCode(cond.next);
        const targets = cond.targetType
          ? [cond.targetType]
          : (sp.target ?? []).filter((t) => !nextCode || nextCode === '_id' || registry.get(t, nextCode));
        if (targets.length === 0) throw bad(`No target of '${cond.code}' has search parameter '${nextCode}'`, cond.code);
        const parts = targets.map((target) => {
          const t = next();
          const inner = conjunction(
            [{ cond: cond.next, access }, ...(access ? [{ cond: access.forType(target) }] : [])],
            target,
            t,
            depth,
            mode,
          ).sql;
          const join = `FROM search_reference ref JOIN resource ${t} ON ${t}.resource_type = ref.target_type AND ${t}.id = ref.target_id`;
          const filters = `ref.code = ? AND ref.target_type = ? AND ${t}.deleted = 0 AND ${inner.sql}`;
          return mode === 'in'
            ? sql(`${alias}.rid IN (SELECT ref.rid ${join} WHERE ${filters})`, [qualifiedCode(resourceType, cond.code), target, ...inner.params])
            : sql(`EXISTS (SELECT 1 ${join} WHERE ref.rid = ${alias}.rid AND ${filters})`, [qualifiedCode(resourceType, cond.code), target, ...inner.params]);
        });
        return joinSql(parts, 'OR', 'FALSE');
      }
      case 'has': {
        const sp = param(cond.sourceType, cond.refParam);
        if (sp.type !== 'reference') throw bad(`Search parameter '${cond.refParam}' of '${cond.sourceType}' is not a reference`, '_has');
        const s = next();
        const inner = conjunction(
          [{ cond: cond.next, access }, ...(access ? [{ cond: access.forType(cond.sourceType) }] : [])],
          cond.sourceType,
          s,
          depth,
          mode,
        ).sql;
        const join = `FROM search_reference hr JOIN resource ${s} ON ${s}.rid = hr.rid`;
        const filters = `hr.code = ? AND hr.target_type = ? AND ${s}.resource_type = ? AND ${s}.deleted = 0 AND ${inner.sql}`;
        const params = [qualifiedCode(cond.sourceType, cond.refParam), resourceType, cond.sourceType, ...inner.params];
        return mode === 'in'
          ? sql(`${alias}.id IN (SELECT hr.target_id ${join} WHERE ${filters})`, params)
          : sql(`EXISTS (SELECT 1 ${join} WHERE hr.target_id = ${alias}.id AND ${filters})`, params);
      }
    }
  }

  /**
   * A caller's policy is rebuilt per request but takes few distinct shapes (same rules, other patients), and compiling
   * it was a measurable share of a read; the SQL is a pure function of the condition, type, alias and alias counter.
   */
  const compiledPolicies = new LRUCache<string, { sql: Sql; aliasesAfter: number }>({ max: 2000 });

  /** Policies are compiled without re-applying themselves to their own chain targets (no recursion). */
  function accessSql(resourceType: string, alias: string, access: AccessPolicy | undefined, depth: AliasCounter = { n: 0 }): Sql {
    if (!access) return sql('1=1');
    const cond = access.forType(resourceType);
    const key = `${resourceType}\u0000${alias}\u0000${depth.n}\u0000${JSON.stringify(cond)}`;
    const hit = compiledPolicies.get(key);
    if (hit) {
      depth.n = hit.aliasesAfter;
      return { sql: hit.sql.sql, params: [...hit.sql.params] };
    }
    const compiled = compileWith(factorCondition(cond), resourceType, alias, undefined, depth, 'exists');
    compiledPolicies.set(key, { sql: { sql: compiled.sql, params: [...compiled.params] }, aliasesAfter: depth.n });
    return compiled;
  }

  /** Whether `test` holds for the condition or any condition it is made of (through and, or, not). */
  const anyPart = (c: Condition, test: (c: Condition) => boolean): boolean =>
    test(c) || (c.kind === 'and' ? c.all.some((x) => anyPart(x, test)) : c.kind === 'or' ? c.any.some((x) => anyPart(x, test)) : c.kind === 'not' && anyPart(c.cond, test));
  /** Chains and _has reach other resources, whose policy conditions then enter the SQL. */
  const reachesOthers = (c: Condition): boolean => anyPart(c, (x) => x.kind === 'chain' || x.kind === 'has');

  /**
   * Like compiled policies: the filter is a pure function of the search's conditions, the type, the alias and the
   * policy's condition for that type, which a caller repeating a search (paging, the same patient's record opened
   * again) asks for again; compiling it (factoring, the driver choice, repeated-test removal) was ~9% of a patient
   * search's CPU. A search through chains or _has also depends on the policy of the types it reaches: compiled each time.
   */
  const compiledSearches = new LRUCache<string, CompiledFilter>({ max: 2000 });
  /** What the cache keeps and hands out is never the object a caller may change. */
  const copyFilter = (f: CompiledFilter): CompiledFilter => ({ ...f, sql: { sql: f.sql.sql, params: [...f.sql.params] } });
  /**
   * An `ap` date test widens by its distance from now (params/date.ts): its SQL is only good for the moment it is
   * compiled. Any value starting with `ap` counts (a token `apple` too): at worst such a search is compiled each time.
   */
  const readsClock = (c: Condition): boolean => anyPart(c, (x) => x.kind === 'param' && x.values.some((v) => v.startsWith('ap')));

  function searchFilter(where: Condition[], resourceType: string, alias: string, access: AccessPolicy | undefined): CompiledFilter {
    const policy = access?.forType(resourceType);
    const key = where.some(reachesOthers) || where.some(readsClock) || (policy !== undefined && readsClock(policy)) ? undefined : `${resourceType}\u0000${alias}\u0000${JSON.stringify(where)}\u0000${policy ? JSON.stringify(policy) : ''}`;
    const hit = key === undefined ? undefined : compiledSearches.get(key);
    if (hit) return copyFilter(hit);
    const conjuncts: Conjunct[] = where.map((cond) => ({ cond, access }));
    // The policy's bases share guards (the patient, "no prohibition", the register kinds): factored out of its OR, each
    // is probed once per row; the conjunction then drops a guard the search itself already tests (`patient=X`).
    if (policy) conjuncts.push({ cond: factorCondition(policy) });
    const filter = conjunction(conjuncts, resourceType, alias, { n: 0 }, 'in');
    if (key !== undefined) compiledSearches.set(key, copyFilter(filter));
    return filter;
  }

  return {
    env,
    searchFilter,
    compile: (cond, resourceType, alias, access, aliases) => compileWith(cond, resourceType, alias, access, aliases ?? { n: 0 }, 'exists'),
    filter: (conjuncts, resourceType, alias, aliases) => conjunction(conjuncts, resourceType, alias, aliases ?? { n: 0 }, 'in'),
    access: accessSql,
    sort(rule, resourceType, alias) {
      const dir = rule.descending ? 'DESC' : 'ASC';
      if (rule.code === '_id') return sql(`${alias}.id ${dir}`);
      if (rule.code === '_lastUpdated') return sql(`${alias}.last_updated ${dir}`);
      const sp = param(resourceType, rule.code);
      const module = paramTypeOf(sp.type);
      if (!module) throw bad(`Cannot sort by '${rule.code}'`, '_sort');
      const col = module.sortColumn(rule.descending);
      const agg = rule.descending ? 'MAX' : 'MIN';
      return sql(`(SELECT ${agg}(s.${col}) FROM ${module.table} s WHERE s.rid = ${alias}.rid AND s.code = ?) ${dir} NULLS LAST`, [qualifiedCode(resourceType, rule.code)]);
    },
  };
}
