// Reads, history and search of AuditEvents over the lean append-only audit_event table and its typed columns. https://hl7.org/fhir/R4/auditevent.html#search
import { badRequest, forbidden, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { parseDateRange } from '../search/params/date.js';
import { rangePredicate, splitPrefix } from '../search/params/prefix.js';
import type { AccessPolicy, Condition, HistoryQuery, HistoryResult, ResourceStore, SearchQuery, SearchResult } from '../store/resource-store.js';
import type { SqlDatabase } from '../store/sql/database.js';
import { SEP } from './audit-columns.js';

const TYPE = 'AuditEvent';

/** The search parameters the typed columns answer; the CapabilityStatement declares exactly these for AuditEvent. */
export const AuditEventSearchParams = ['_id', '_lastUpdated', 'patient', 'date', 'agent', 'entity', 'type', 'subtype', 'action', 'outcome'] as const;
const ReferenceParams = new Set(['patient', 'agent', 'entity']);

/** Whether the caller may see the referenced record (D11): searching by a withheld record must look like searching by a missing one. */
export type VisibleRecord = (resourceType: string, id: string, access: AccessPolicy) => Promise<boolean>;

interface Sql {
  sql: string;
  params: unknown[];
}

const unsupported = (what: string): never => {
  throw new OperationOutcomeError(badRequest(`${what} is not supported on AuditEvent (searchable: _id, patient, date, agent, entity, type, subtype, action, outcome)`));
};

function compileCondition(db: SqlDatabase, cond: Condition): Sql {
  const contains = (col: string, needle: string): Sql => ({ sql: db.dialect === 'postgres' ? `strpos(e.${col}, ?) > 0` : `instr(e.${col}, ?) > 0`, params: [needle] });
  const anyOf = (parts: Sql[]): Sql =>
    parts.length === 0 ? { sql: 'FALSE', params: [] } : { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
  const allOf = (parts: Sql[]): Sql =>
    parts.length === 0 ? { sql: 'TRUE', params: [] } : { sql: `(${parts.map((p) => p.sql).join(' AND ')})`, params: parts.flatMap((p) => p.params) };
  const inList = (col: string, values: string[]): Sql => ({ sql: `e.${col} IN (${values.map(() => '?').join(', ')})`, params: values });

  function reference(col: string, modifier: string | undefined, value: string): Sql {
    if (modifier === 'identifier') return contains(col, value.includes('|') ? `${SEP}${value}${SEP}` : `|${value}${SEP}`);
    if (modifier && !/^[A-Z][A-Za-z]+$/.test(modifier)) unsupported(`Modifier :${modifier}`);
    const ref = modifier && !value.includes('/') ? `${modifier}/${value}` : value;
    return contains(col, ref.includes('/') ? `${SEP}${ref}${SEP}` : `/${ref}${SEP}`);
  }

  function token(col: string, value: string): Sql {
    if (!value.includes('|')) return contains(col, `|${value}${SEP}`);
    return contains(col, value.endsWith('|') ? `${SEP}${value}` : `${SEP}${value}${SEP}`);
  }

  function param(c: Extract<Condition, { kind: 'param' }>): Sql {
    const { code, modifier, values } = c;
    const not = modifier === 'not';
    const mod = not ? undefined : modifier;
    let test: Sql;
    switch (code) {
      case '_id':
        if (mod) unsupported(`Modifier :${mod}`);
        test = inList('id', values);
        break;
      case 'patient':
        if (mod && mod !== 'Patient') unsupported(`Modifier :${mod} of patient`);
        test = inList('patient', values.map((v) => v.replace(/^.*Patient\//, '')));
        break;
      case 'agent':
      case 'entity':
        test = anyOf(values.map((v) => reference(code, mod, v)));
        break;
      case 'type':
      case 'subtype':
        if (mod) unsupported(`Modifier :${mod}`);
        test = anyOf(values.map((v) => token(code, v)));
        break;
      case 'action':
      case 'outcome':
        if (mod) unsupported(`Modifier :${mod}`);
        test = inList(code, values.map((v) => v.slice(v.indexOf('|') + 1)));
        break;
      case 'date':
      case '_lastUpdated':
        if (mod) unsupported(`Modifier :${mod}`);
        test = anyOf(
          values.map((raw) => {
            const { prefix, rest } = splitPrefix(raw, code);
            const range = parseDateRange(rest);
            if (!range) throw new OperationOutcomeError(badRequest(`Invalid date '${raw}' for search parameter '${code}'`, code));
            return rangePredicate(prefix, 'e.recorded_ms', '(e.recorded_ms + 1)', range[0], range[1], Math.max(Math.abs(Date.now() - range[0]) * 0.1, 86_400_000));
          }),
        );
        break;
      default:
        return unsupported(`Search parameter '${code}'`);
    }
    return not ? { sql: `NOT ${test.sql}`, params: test.params } : test;
  }

  switch (cond.kind) {
    case 'param':
      return param(cond);
    case 'compartment':
      return { sql: 'e.patient = ?', params: [cond.id] };
    case 'and':
      return allOf(cond.all.map((c) => compileCondition(db, c)));
    case 'or':
      return anyOf(cond.any.map((c) => compileCondition(db, c)));
    case 'not': {
      const inner = compileCondition(db, cond.cond);
      return { sql: `NOT ${inner.sql}`, params: inner.params };
    }
    case 'true':
      return { sql: 'TRUE', params: [] };
    case 'false':
      return { sql: 'FALSE', params: [] };
    default:
      return unsupported(cond.kind === 'chain' ? 'A chained parameter' : 'A reverse chain (_has)');
  }
}

function whereOf(db: SqlDatabase, conds: Condition[], access: AccessPolicy | undefined): Sql {
  const parts = conds.map((c) => compileCondition(db, c));
  if (access) parts.push(compileCondition(db, access.forType(TYPE)));
  return parts.length ? { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) } : { sql: 'TRUE', params: [] };
}

const parse = (rows: Array<{ content: string }>): Resource[] => rows.map((r) => JSON.parse(r.content) as Resource);

export type AuditEventStore = Pick<ResourceStore, 'read' | 'vread' | 'history' | 'search'>;

/** Drops reference values naming records the caller may not see, so they match nothing, as a missing id would. */
async function onlyVisibleReferences(conds: Condition[], access: AccessPolicy | undefined, visible: VisibleRecord | undefined): Promise<Condition[]> {
  if (!access || !visible) return conds;
  const rewrite = async (c: Condition): Promise<Condition> => {
    switch (c.kind) {
      case 'param': {
        if (!ReferenceParams.has(c.code) || c.modifier === 'identifier' || c.modifier === 'not') return c;
        const kept: string[] = [];
        for (const v of c.values) {
          const ref = c.modifier && !v.includes('/') ? `${c.modifier}/${v}` : c.code === 'patient' && !v.includes('/') ? `Patient/${v}` : v;
          const [type, id, ...rest] = ref.replace(/^.*?([A-Z][A-Za-z]+\/[^/]+)$/, '$1').split('/');
          if (!id || rest.length) unsupported(`A reference without its type ('${v}')`);
          if (await visible(type, id, access)) kept.push(v);
        }
        return kept.length ? { ...c, values: kept } : { kind: 'false' };
      }
      case 'and':
      case 'or': {
        // One after another: a transaction's connection runs one query at a time.
        const parts: Condition[] = [];
        for (const p of c.kind === 'and' ? c.all : c.any) parts.push(await rewrite(p));
        return c.kind === 'and' ? { kind: 'and', all: parts } : { kind: 'or', any: parts };
      }
      default:
        return c;
    }
  };
  const out: Condition[] = [];
  for (const c of conds) out.push(await rewrite(c));
  return out;
}

/**
 * What a viewer under a policy (anyone but the archive operator) is shown of an event leaves out what would betray a
 * record withheld from them: the Disclose subtype where no disclosed record is shown, a one-record interaction's
 * outcome (redactAuditEventFor in audit-event.ts). Filtering by those stored values would tell it all the same, so
 * only a viewer whose policy reads nothing (TRUE) may.
 */
const AuditorOnlyParams = new Set(['subtype', 'outcome']);

function refuseAuditorOnly(conds: Condition[], access: AccessPolicy | undefined): void {
  if (!access || access.forType(TYPE).kind === 'true') return;
  const visit = (c: Condition): void => {
    if (c.kind === 'param' && AuditorOnlyParams.has(c.code)) {
      throw new OperationOutcomeError(
        badRequest(`Searching AuditEvent by '${c.code}' is for the archive operator only: the log shown to others leaves out what it would reveal`, c.code),
      );
    }
    if (c.kind === 'and') c.all.forEach(visit);
    if (c.kind === 'or') c.any.forEach(visit);
    if (c.kind === 'not') visit(c.cond);
  };
  conds.forEach(visit);
}

export function createAuditEventStore(db: SqlDatabase, visible?: VisibleRecord): AuditEventStore {
  async function read(_type: string, id: string, access?: AccessPolicy): Promise<Resource | undefined> {
    const w = whereOf(db, [{ kind: 'param', code: '_id', values: [id] }], access);
    const [row] = await db.query<{ content: string }>(`SELECT e.content FROM audit_event e WHERE ${w.sql}`, w.params);
    return row ? (JSON.parse(row.content) as Resource) : undefined;
  }

  return {
    read,
    // Every AuditEvent has exactly one version.
    vread: (type, id, versionId, access) => (versionId === '1' ? read(type, id, access) : Promise.resolve(undefined)),

    async history(query: HistoryQuery, access?: AccessPolicy): Promise<HistoryResult> {
      const conds: Condition[] = query.id ? [{ kind: 'param', code: '_id', values: [query.id] }] : [];
      if (query.since) {
        if (Number.isNaN(Date.parse(query.since))) throw new OperationOutcomeError(badRequest(`Invalid _since '${query.since}'`, '_since'));
        conds.push({ kind: 'param', code: 'date', values: [`gt${new Date(query.since).toISOString()}`] });
      }
      const w = whereOf(db, conds, access);
      const rows = await db.query<{ content: string }>(`SELECT e.content FROM audit_event e WHERE ${w.sql} ORDER BY e.seq DESC LIMIT ? OFFSET ?`, [
        ...w.params,
        query.count,
        query.offset,
      ]);
      const [c] = await db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM audit_event e WHERE ${w.sql}`, w.params);
      return { entries: parse(rows).map((resource) => ({ resource, deleted: false })), total: Number(c.n) };
    },

    async search(query: SearchQuery, access?: AccessPolicy): Promise<SearchResult> {
      if (query.include.length || query.revinclude.length) unsupported('_include / _revinclude');
      refuseAuditorOnly(query.where, access);
      const w = whereOf(db, await onlyVisibleReferences(query.where, access, visible), access);
      const order = query.sort.map((s) => {
        const col = s.code === 'date' || s.code === '_lastUpdated' ? 'e.recorded_ms' : s.code === '_id' ? 'e.id' : unsupported(`Sorting by '${s.code}'`);
        return `${col} ${s.descending ? 'DESC' : 'ASC'}`;
      });
      const rows =
        query.count > 0
          ? await db.query<{ content: string }>(`SELECT e.content FROM audit_event e WHERE ${w.sql} ORDER BY ${[...order, 'e.seq'].join(', ')} LIMIT ? OFFSET ?`, [
              ...w.params,
              query.count,
              query.offset,
            ])
          : [];
      let total: number | undefined;
      if (query.total !== 'none') {
        if (query.count > 0 && rows.length < query.count && (rows.length > 0 || query.offset === 0)) total = query.offset + rows.length;
        else total = Number((await db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM audit_event e WHERE ${w.sql}`, w.params))[0].n);
      }
      return { resources: parse(rows), included: [], total };
    },
  };
}

const AuditWriteRefused: OperationOutcome = {
  ...forbidden,
  issue: [{ severity: 'error', code: 'forbidden', details: { text: 'AuditEvent resources are append-only and written only by the audit log' } }],
};

/**
 * The raw store the gateway uses: AuditEvents are served from the audit table, everything else from the resource
 * store; AuditEvents are only ever written by the audit log (src/audit/audit-log.ts), never through a store.
 */
export function withAuditEventStore(factory: (db: SqlDatabase) => ResourceStore): (db: SqlDatabase) => ResourceStore {
  const compose = (db: SqlDatabase): ResourceStore => {
    const inner = factory(db);
    const audit = createAuditEventStore(db, async (type, id, access) => !!(await inner.read(type, id, access).catch(() => undefined)));
    const isAudit = (t: string | undefined): boolean => t === TYPE;
    return {
      read: (t, id, a) => (isAudit(t) ? audit.read(t, id, a) : inner.read(t, id, a)),
      vread: (t, id, v, a) => (isAudit(t) ? audit.vread(t, id, v, a) : inner.vread(t, id, v, a)),
      history: (q, a) => (isAudit(q.resourceType) ? audit.history(q, a) : inner.history(q, a)),
      search: (q, a) => (isAudit(q.resourceType) ? audit.search(q, a) : inner.search(q, a)),
      async create(r) {
        if (isAudit(r.resourceType)) {
          throw new OperationOutcomeError(AuditWriteRefused);
        }
        return inner.create(r);
      },
      ...(inner.createAbsent
        ? {
            createAbsent: (rs: Resource[]) => {
              if (rs.some((r) => isAudit(r.resourceType))) return Promise.reject(new OperationOutcomeError(AuditWriteRefused));
              return inner.createAbsent!(rs);
            },
          }
        : {}),
      update: (r, o) => inner.update(r, o),
      delete: (t, id) => inner.delete(t, id),
      ...(inner.purge ? { purge: (t: string, id: string) => inner.purge!(t, id) } : {}),
      isDeleted: (t, id) => (isAudit(t) ? Promise.resolve(false) : inner.isDeleted(t, id)),
      ...(inner.changeStamp ? { changeStamp: (patientId?: string) => inner.changeStamp!(patientId) } : {}),
      transaction: (fn) => db.transaction((tx) => fn(compose(tx))),
    };
  };
  return compose;
}
