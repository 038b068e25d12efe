// A change counter the database itself advances on every write of the types consent decisions are loaded from, so caches can check freshness with one lookup.
import type { SqlDatabase } from './database.js';

/** What loadRequestFacts (src/consent/consent-facts.ts) reads: a write of any of these may change a consent decision. */
export const ConsentFactTypes = ['Consent', 'Patient', 'Organization', 'RelatedPerson'] as const;
const STAMP = 'consent-facts';
const typeList = ConsentFactTypes.map((t) => `'${t}'`).join(', ');

function ddl(dialect: SqlDatabase['dialect']): string[] {
  const bump = `UPDATE store_change SET n = n + 1 WHERE name = '${STAMP}'`;
  if (dialect === 'postgres') {
    return [
      'CREATE TABLE IF NOT EXISTS store_change (name VARCHAR(64) PRIMARY KEY, n BIGINT NOT NULL)',
      `INSERT INTO store_change (name, n) VALUES ('${STAMP}', 0) ON CONFLICT (name) DO NOTHING`,
      `CREATE OR REPLACE FUNCTION consent_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (TG_OP <> 'DELETE' AND NEW.resource_type IN (${typeList})) OR (TG_OP <> 'INSERT' AND OLD.resource_type IN (${typeList})) THEN
            ${bump};
          END IF;
          RETURN NULL;
        END $$`,
      'CREATE OR REPLACE TRIGGER consent_facts_changed AFTER INSERT OR UPDATE OR DELETE ON resource FOR EACH ROW EXECUTE FUNCTION consent_facts_changed()',
    ];
  }
  return [
    'CREATE TABLE IF NOT EXISTS store_change (name VARCHAR(64) PRIMARY KEY, n INTEGER NOT NULL)',
    `INSERT OR IGNORE INTO store_change (name, n) VALUES ('${STAMP}', 0)`,
    `CREATE TRIGGER IF NOT EXISTS consent_facts_insert AFTER INSERT ON resource WHEN NEW.resource_type IN (${typeList}) BEGIN ${bump}; END`,
    `CREATE TRIGGER IF NOT EXISTS consent_facts_update AFTER UPDATE ON resource WHEN NEW.resource_type IN (${typeList}) OR OLD.resource_type IN (${typeList}) BEGIN ${bump}; END`,
    `CREATE TRIGGER IF NOT EXISTS consent_facts_delete AFTER DELETE ON resource WHEN OLD.resource_type IN (${typeList}) BEGIN ${bump}; END`,
  ];
}

export async function migrateChangeStamp(tx: SqlDatabase): Promise<void> {
  for (const stmt of ddl(tx.dialect)) await tx.execute(stmt);
}

/**
 * The committed stamp, or undefined inside a transaction: what a transaction sees may still roll back, and a
 * cache filled from it under a stamp that later means something else would serve data that never existed.
 */
export async function readChangeStamp(db: SqlDatabase): Promise<string | undefined> {
  if (db.inTransaction) return undefined;
  const [row] = await db.query<{ n: number | string }>('SELECT n FROM store_change WHERE name = ?', [STAMP]);
  return row ? String(row.n) : undefined;
}
