// Writes a resource's search index rows and compartment membership, replacing the previous version's. https://hl7.org/fhir/R4/search.html
import type { ResourceIndex } from '../../search/index-resource.js';
import { ParamTypes } from '../../search/params/index.js';
import type { SqlDatabase } from './database.js';
import { IndexTables } from './schema.js';

/** Column lists by table, taken from the type modules so extraction and storage cannot drift apart. */
const TableColumns: Record<string, string[]> = {
  ...Object.fromEntries(Object.values(ParamTypes).map((m) => [m.table, ['rid', 'code', ...m.columns]])),
  compartment: ['rid', 'patient_id'],
};

const ROWS_PER_INSERT = 100;

async function insertRows(db: SqlDatabase, table: string, rows: unknown[][]): Promise<void> {
  const columns = TableColumns[table];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    await db.execute(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`,
      chunk.flat(),
    );
  }
}

export async function deleteIndex(db: SqlDatabase, rid: number): Promise<void> {
  for (const table of IndexTables) await db.execute(`DELETE FROM ${table} WHERE rid = ?`, [rid]);
}

export async function writeIndex(db: SqlDatabase, rid: number, index: ResourceIndex): Promise<void> {
  const byTable = new Map<string, unknown[][]>();
  for (const row of index.rows) {
    let list = byTable.get(row.table);
    if (!list) byTable.set(row.table, (list = []));
    list.push([rid, ...row.values]);
  }
  for (const [table, rows] of byTable) await insertRows(db, table, rows);
  if (index.patients.length) await insertRows(db, 'compartment', index.patients.map((p) => [rid, p]));
}
