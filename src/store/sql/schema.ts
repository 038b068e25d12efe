// The resource store's tables: current versions, every version, one index table per search-parameter type, the Patient compartment. https://hl7.org/fhir/R4/search.html
import type { SqlDatabase } from './database.js';
import { seedSqliteStats } from '../sqlite/sqlite-stats.js';
import { dialectOf } from './dialect.js';
import { migrateChangeStamp } from './change-stamp.js';

function ddl(db: SqlDatabase): string[] {
  const { serialKey, text: T } = dialectOf(db.dialect);
  return [
    `CREATE TABLE IF NOT EXISTS resource (
      rid ${serialKey},
      resource_type ${T} NOT NULL,
      id ${T} NOT NULL,
      version_id INTEGER NOT NULL,
      last_updated ${T} NOT NULL,
      deleted INTEGER NOT NULL DEFAULT 0,
      content TEXT NOT NULL
    )`,
    'CREATE UNIQUE INDEX IF NOT EXISTS resource_type_id ON resource (resource_type, id)',
    'CREATE INDEX IF NOT EXISTS resource_type_updated ON resource (resource_type, last_updated)',
    // Type-wide pages in the default (rid) order stop after a page instead of sorting the whole type.
    'CREATE INDEX IF NOT EXISTS resource_type_rid ON resource (resource_type, rid)',
    `CREATE TABLE IF NOT EXISTS resource_version (
      rid BIGINT NOT NULL REFERENCES resource (rid),
      version_id INTEGER NOT NULL,
      last_updated ${T} NOT NULL,
      deleted INTEGER NOT NULL DEFAULT 0,
      content TEXT NOT NULL,
      PRIMARY KEY (rid, version_id)
    )`,
    'CREATE INDEX IF NOT EXISTS resource_version_updated ON resource_version (last_updated)',
    `CREATE TABLE IF NOT EXISTS search_token (rid BIGINT NOT NULL, code ${T} NOT NULL, system ${T}, value ${T}, display ${T})`,
    'CREATE INDEX IF NOT EXISTS search_token_value ON search_token (code, value, system, rid)',
    'CREATE INDEX IF NOT EXISTS search_token_rid ON search_token (rid, code)',
    `CREATE TABLE IF NOT EXISTS search_string (rid BIGINT NOT NULL, code ${T} NOT NULL, norm ${T} NOT NULL, value ${T} NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS search_string_norm ON search_string (code, norm, rid)',
    'CREATE INDEX IF NOT EXISTS search_string_rid ON search_string (rid, code)',
    `CREATE TABLE IF NOT EXISTS search_date (rid BIGINT NOT NULL, code ${T} NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS search_date_lo ON search_date (code, lo, hi, rid)',
    'CREATE INDEX IF NOT EXISTS search_date_rid ON search_date (rid, code)',
    `CREATE TABLE IF NOT EXISTS search_number (rid BIGINT NOT NULL, code ${T} NOT NULL, lo DOUBLE PRECISION NOT NULL, hi DOUBLE PRECISION NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS search_number_lo ON search_number (code, lo, hi, rid)',
    'CREATE INDEX IF NOT EXISTS search_number_rid ON search_number (rid, code)',
    `CREATE TABLE IF NOT EXISTS search_quantity (rid BIGINT NOT NULL, code ${T} NOT NULL, value DOUBLE PRECISION NOT NULL, system ${T}, unit_code ${T}, unit ${T})`,
    'CREATE INDEX IF NOT EXISTS search_quantity_value ON search_quantity (code, value, rid)',
    'CREATE INDEX IF NOT EXISTS search_quantity_rid ON search_quantity (rid, code)',
    `CREATE TABLE IF NOT EXISTS search_reference (rid BIGINT NOT NULL, code ${T} NOT NULL, target_type ${T}, target_id ${T}, ref ${T} NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS search_reference_target ON search_reference (target_id, target_type, code, rid)',
    'CREATE INDEX IF NOT EXISTS search_reference_ref ON search_reference (code, ref)',
    'CREATE INDEX IF NOT EXISTS search_reference_rid ON search_reference (rid, code)',
    `CREATE TABLE IF NOT EXISTS search_uri (rid BIGINT NOT NULL, code ${T} NOT NULL, value ${T} NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS search_uri_value ON search_uri (code, value, rid)',
    'CREATE INDEX IF NOT EXISTS search_uri_rid ON search_uri (rid, code)',
    `CREATE TABLE IF NOT EXISTS compartment (rid BIGINT NOT NULL, patient_id ${T} NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS compartment_patient ON compartment (patient_id, rid)',
    'CREATE INDEX IF NOT EXISTS compartment_rid ON compartment (rid, patient_id)',
  ];
}

/** The index tables, each keyed by `rid`; rewritten whole on every write of a resource. */
export const IndexTables = [
  'search_token',
  'search_string',
  'search_date',
  'search_number',
  'search_quantity',
  'search_reference',
  'search_uri',
  'compartment',
] as const;

/** Idempotent: safe to run at every start, from several processes (PostgreSQL serialises it with an advisory lock). */
export async function migrateResourceStore(db: SqlDatabase): Promise<void> {
  await db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(872361)');
    for (const stmt of ddl(tx)) await tx.execute(stmt);
    await upgradeIndexFormat(tx);
    await migrateChangeStamp(tx);
    if (tx.dialect === 'sqlite') await seedSqliteStats(tx);
  });
}

/** Version of how index rows are written; bumped when existing rows must be rewritten. */
const IndexFormat = 'type-qualified-codes';

/** Stores written before index codes were qualified by resource type get their rows rewritten once, in place. */
async function upgradeIndexFormat(tx: SqlDatabase): Promise<void> {
  await tx.execute('CREATE TABLE IF NOT EXISTS store_meta (meta_key VARCHAR(64) PRIMARY KEY, meta_value VARCHAR(256) NOT NULL)');
  const [row] = await tx.query<{ meta_value: string }>('SELECT meta_value FROM store_meta WHERE meta_key = ?', ['index_format']);
  if (row?.meta_value === IndexFormat) return;
  for (const table of IndexTables) {
    if (table === 'compartment') continue;
    await tx.execute(`UPDATE ${table} SET code = (SELECT r.resource_type FROM resource r WHERE r.rid = ${table}.rid) || '.' || code`);
  }
  if (row) await tx.execute('UPDATE store_meta SET meta_value = ? WHERE meta_key = ?', [IndexFormat, 'index_format']);
  else await tx.execute('INSERT INTO store_meta (meta_key, meta_value) VALUES (?, ?)', ['index_format', IndexFormat]);
}
