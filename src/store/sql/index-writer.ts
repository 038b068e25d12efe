// Writes a resource's search index rows and compartment membership, replacing the previous version's. https://hl7.org/fhir/R4/search.html
import type { ResourceIndex } from '../../search/index-resource.js';
import { ParamTypes } from '../../search/params/index.js';
import { SamePlan, type SqlDatabase } from './database.js';
import { IndexTables } from './schema.js';

/** Column lists by table, taken from the type modules so extraction and storage cannot drift apart. */
const TableColumns: Record<string, string[]> = {
  ...Object.fromEntries(Object.values(ParamTypes).map((m) => [m.table, ['rid', 'code', ...m.columns]])),
  compartment: ['rid', 'patient_id'],
};

const ROWS_PER_INSERT = 100;
/** Bound on the values of one combined PostgreSQL statement, well under its 65,535 parameters. */
const MAX_COMBINED_PARAMS = 20_000;

export interface Insert {
  sql: string;
  params: unknown[];
}

/**
 * PostgreSQL types of the index columns that are not text. Rows selected from a VALUES list (indexInsertsFrom) are
 * typed by their values, and untyped parameters would be text there; in `INSERT ... VALUES` the column types them.
 */
const NonTextColumns: Record<string, string> = {
  'search_date.lo': 'bigint',
  'search_date.hi': 'bigint',
  'search_number.lo': 'double precision',
  'search_number.hi': 'double precision',
  'search_quantity.value': 'double precision',
};

function inserts(table: string, rows: unknown[][]): Insert[] {
  const columns = TableColumns[table];
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const out: Insert[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    out.push({ sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, params: chunk.flat() });
  }
  return out;
}

/**
 * Runs the statements; on PostgreSQL as one statement of data-modifying WITH clauses (each runs exactly once, all
 * in one round trip), which matters when every imported resource writes to four or five tables over the network.
 * SQLite runs in process, where separate prepared statements are as cheap.
 */
async function runAll(db: SqlDatabase, statements: Insert[]): Promise<void> {
  const combined = statements.reduce((n, s) => n + s.params.length, 0) <= MAX_COMBINED_PARAMS;
  if (db.dialect !== 'postgres' || statements.length < 2 || !combined) {
    for (const s of statements) await db.execute(s.sql, s.params, SamePlan);
    return;
  }
  const last = statements[statements.length - 1];
  const withs = statements.slice(0, -1).map((s, i) => `w${i} AS (${s.sql})`);
  await db.execute(`WITH ${withs.join(', ')} ${last.sql}`, statements.flatMap((s) => s.params), SamePlan);
}

export async function deleteIndex(db: SqlDatabase, rid: number): Promise<void> {
  await runAll(db, IndexTables.map((table) => ({ sql: `DELETE FROM ${table} WHERE rid = ?`, params: [rid] })));
}

/** The index rows by table (compartment membership as rows of `compartment`), each row led by `rid` when given. */
function rowsByTable(index: ResourceIndex, rid?: number): Map<string, unknown[][]> {
  const byTable = new Map<string, unknown[][]>();
  for (const row of index.rows) {
    let list = byTable.get(row.table);
    if (!list) byTable.set(row.table, (list = []));
    list.push(rid === undefined ? row.values : [rid, ...row.values]);
  }
  if (index.patients.length) byTable.set('compartment', index.patients.map((p) => (rid === undefined ? [p] : [rid, p])));
  return byTable;
}

export async function writeIndex(db: SqlDatabase, rid: number, index: ResourceIndex): Promise<void> {
  await runAll(db, [...rowsByTable(index, rid)].flatMap(([table, rows]) => inserts(table, rows)));
}

/**
 * PostgreSQL: statements inserting the index rows of the resource that the WITH clause `source` inserts (it returns
 * `rid`), to run as further WITH clauses of that same statement: a new resource's row, version and index in one
 * round trip. When `source` inserts nothing (the id exists), neither do they. Undefined when the values would exceed
 * one statement's bound (the caller writes the index on its own then).
 */
export function indexInsertsFrom(source: string, index: ResourceIndex): Insert[] | undefined {
  const out: Insert[] = [];
  let params = 0;
  for (const [table, rows] of rowsByTable(index)) {
    const columns = TableColumns[table];
    const tuple = `(${columns.slice(1).map((c) => (NonTextColumns[`${table}.${c}`] ? `?::${NonTextColumns[`${table}.${c}`]}` : '?')).join(', ')})`;
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT);
      out.push({ sql: `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${source}.rid, x.* FROM ${source}, (VALUES ${chunk.map(() => tuple).join(', ')}) AS x`, params: chunk.flat() });
      params += chunk.length * (columns.length - 1);
    }
  }
  return params <= MAX_COMBINED_PARAMS ? out : undefined;
}

/** A resource's first version to insert with others in one PostgreSQL statement (createManyStatement). */
export interface NewRow {
  resourceType: string;
  id: string;
  lastUpdated: string;
  content: string;
  index: ResourceIndex;
}

/** The element type of a PostgreSQL array parameter holding one index column's values. */
const arrayType = (table: string, column: string): string => `${NonTextColumns[`${table}.${column}`] ?? 'text'}[]`;

/**
 * The statement text of createManyStatement: the same for every call (every index table takes part, an empty array
 * inserting nothing), so PostgreSQL prepares and plans it once per connection. Each column's values are one array
 * parameter: a statement with a VALUES list of thousands of parameters took PostgreSQL 17 ms to plan for 100 resources.
 */
const CreateManySql = ((): string => {
  const withs = IndexTables.map((table, i) => {
    const columns = TableColumns[table].slice(1);
    const arrays = ['text[]', 'text[]', ...columns.map((c) => arrayType(table, c))].map((t) => `?::${t}`).join(', ');
    return (
      `w${i} AS (INSERT INTO ${table} (rid, ${columns.join(', ')}) SELECT r.rid, ${columns.map((c) => `x.${c}`).join(', ')}` +
      ` FROM unnest(${arrays}) AS x(resource_type, id, ${columns.join(', ')}) JOIN r ON r.resource_type = x.resource_type AND r.id = x.id)`
    );
  });
  return (
    'WITH r AS (INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content)' +
    ' SELECT resource_type, id, 1, last_updated, 0, content FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) AS n(resource_type, id, last_updated, content)' +
    ' ON CONFLICT DO NOTHING RETURNING rid, resource_type, id, version_id, last_updated, deleted, content),' +
    ' v AS (INSERT INTO resource_version (rid, version_id, last_updated, deleted, content) SELECT rid, version_id, last_updated, deleted, content FROM r), ' +
    withs.join(', ') +
    ' SELECT resource_type, id FROM r'
  );
})();

/**
 * PostgreSQL: one statement inserting many new resources, their first versions and their index rows; an id already
 * taken (live or deleted) inserts nothing, row, version nor index. Index rows find their resource's `rid` by type and id
 * among the rows the statement inserted. Returns the type and id of each inserted resource. A first import then costs
 * a round trip a chunk of resources instead of one a resource.
 */
export function createManyStatement(rows: NewRow[]): Insert {
  const params: unknown[] = [rows.map((r) => r.resourceType), rows.map((r) => r.id), rows.map((r) => r.lastUpdated), rows.map((r) => r.content)];
  const byTable = new Map<string, unknown[][]>();
  for (const r of rows) {
    for (const [table, list] of rowsByTable(r.index)) {
      let all = byTable.get(table);
      if (!all) byTable.set(table, (all = []));
      for (const values of list) all.push([r.resourceType, r.id, ...values]);
    }
  }
  for (const table of IndexTables) {
    const list = byTable.get(table) ?? [];
    const width = TableColumns[table].length + 1;
    for (let c = 0; c < width; c++) params.push(list.map((row) => row[c] ?? null));
  }
  return { sql: CreateManySql, params };
}
