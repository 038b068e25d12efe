// Fixed planner statistics for SQLite, so index choice is right from the first row on. https://www.sqlite.org/optoverview.html#manual_control_of_query_plans_using_sqlite_stat_tables
import type Database from 'better-sqlite3';
import type { SqlDatabase } from '../sql/database.js';

/**
 * "rows, rows per distinct prefix..." for each index, as for a store of a million resources. Without them SQLite
 * guesses that `code = ?` narrows as well as `rid = ?`, and probes by code, scanning a whole parameter.
 * A later real ANALYZE replaces them with measured numbers.
 */
const Stats: Record<string, Record<string, string>> = {
  resource: {
    resource_type_id: '1000000 20000 1',
    resource_type_updated: '1000000 20000 2',
    resource_type_rid: '1000000 20000 1',
  },
  resource_version: { resource_version_updated: '2000000 2' },
  search_token: { search_token_value: '4000000 50000 100 100 1', search_token_rid: '4000000 5 1' },
  search_string: { search_string_norm: '1000000 50000 10 1', search_string_rid: '1000000 5 1' },
  search_date: { search_date_lo: '2000000 50000 5 5 1', search_date_rid: '2000000 3 1' },
  search_number: { search_number_lo: '100000 10000 5 5 1', search_number_rid: '100000 2 1' },
  search_quantity: { search_quantity_value: '1000000 50000 50 1', search_quantity_rid: '1000000 2 1' },
  search_reference: {
    search_reference_target: '3000000 10 10 5 1',
    search_reference_ref: '3000000 100000 10',
    search_reference_rid: '3000000 3 1',
  },
  search_uri: { search_uri_value: '500000 50000 50 1', search_uri_rid: '500000 2 1' },
  compartment: { compartment_patient: '1000000 10 1', compartment_rid: '1000000 1 1' },
};

/** Seeds sqlite_stat1 once (a database already analysed keeps its own numbers). */
export async function seedSqliteStats(tx: SqlDatabase): Promise<void> {
  await tx.execute('ANALYZE sqlite_schema');
  const [row] = await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM sqlite_stat1');
  if (row.n > 0) return;
  for (const [table, indexes] of Object.entries(Stats)) {
    for (const [index, stat] of Object.entries(indexes)) {
      await tx.execute('INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)', [table, index, stat]);
    }
  }
  await tx.execute('ANALYZE sqlite_schema');
}

/**
 * Removes ANALYZE's sqlite_stat4 samples (the per-index row counts of sqlite_stat1 stay). Every statement here binds
 * its values as parameters, and when a bound parameter meets an index with samples SQLite plans the statement for
 * that value: it marks the statement expired on every rebinding and parses and plans it again on the next step
 * (https://www.sqlite.org/c3ref/prepare.html, "the statement will be automatically recompiled"). Measured on the
 * bench population: the change-stamp look-up 11 µs against 6, a guarded read 20 µs against 5, and far more under
 * load. Plans come from sqlite_stat1 and the INDEXED BY of the compiled consent guards instead. A plain ANALYZE
 * (recommended after a large import) writes the samples again; the next start removes them. A database another
 * process is writing to keeps them until a later start: this is a speed-up, never a reason not to start.
 */
export function discardStat4Samples(conn: Database.Database): void {
  try {
    const table = conn.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat4'").get();
    if (!table || !conn.prepare('SELECT 1 FROM sqlite_stat4 LIMIT 1').get()) return;
    conn.exec('BEGIN IMMEDIATE');
    try {
      conn.exec('DELETE FROM sqlite_stat4');
      // Reloads the planner statistics of this connection (it analyses only the schema table itself).
      conn.exec('ANALYZE sqlite_schema');
      conn.exec('COMMIT');
    } catch (err) {
      if (conn.inTransaction) conn.exec('ROLLBACK');
      throw err;
    }
  } catch (err) {
    if (!/^SQLITE_(BUSY|LOCKED|READONLY)/.test(String((err as { code?: unknown }).code ?? ''))) throw err;
  }
}
