// The audit chain table's layout upgrade: stores created before 2026-12-02 kept a unique index on each link's hash (A3). https://hl7.org/fhir/R4/auditevent.html
import type { SqlDatabase } from '../store/sql/database.js';

/** The chain table: one row per AuditEvent, each linked to the one before by its hash. */
export const chainTable = (name: string, bigint: string): string => `CREATE TABLE IF NOT EXISTS ${name} (
      seq ${bigint} PRIMARY KEY,
      resource_id TEXT NOT NULL UNIQUE,
      recorded TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    )`;

/**
 * Removes the unique index on `audit_chain.hash`, in place. A link's hash is random, so that index took one random
 * page per appended event: at a million links a commit of ten events wrote about five times the pages it does
 * without it. Nothing looks a link up by its hash except `audit:verify --expect-head`, which can scan once; the chain
 * itself (each row's prev_hash is the previous row's hash, checked by verify) is what makes the rows tamper-evident.
 * Runs inside migrate's transaction, before the table's DDL, which then recreates the append-only triggers.
 */
export async function dropLinkHashIndex(tx: SqlDatabase): Promise<void> {
  if (tx.dialect === 'postgres') {
    await tx.execute('ALTER TABLE IF EXISTS audit_chain DROP CONSTRAINT IF EXISTS audit_chain_hash_key');
    return;
  }
  const unique = await tx.query<{ name: string }>(
    `SELECT il.name FROM pragma_index_list('audit_chain') il JOIN pragma_index_info(il.name) ii
      WHERE il."unique" = 1 AND ii.name = 'hash'`,
  );
  if (unique.length === 0) return;
  // SQLite cannot drop a UNIQUE constraint: the table is copied. DROP TABLE fires no triggers and drops them with the table.
  await tx.execute(chainTable('audit_chain_lean', 'INTEGER'));
  await tx.execute('INSERT INTO audit_chain_lean (seq, resource_id, recorded, prev_hash, hash) SELECT seq, resource_id, recorded, prev_hash, hash FROM audit_chain ORDER BY seq');
  await tx.execute('DROP TABLE audit_chain');
  await tx.execute('ALTER TABLE audit_chain_lean RENAME TO audit_chain');
}
