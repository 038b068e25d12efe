// The few places SQLite and PostgreSQL differ for the resource store's SQL. https://www.sqlite.org/lang_createtable.html
import type { SqlDialect } from './database.js';

export interface Dialect {
  /** The integer surrogate key column type. */
  readonly serialKey: string;
  /** Text compared byte-wise, so prefix ranges use indexes in both engines. */
  readonly text: string;
  /** Locks the selected row until commit (SQLite's BEGIN IMMEDIATE already serialises writers). */
  readonly forUpdate: string;
  isUniqueViolation(err: unknown): boolean;
  /** A lost lock race (deadlock or serialization failure): nothing was written, and the same work may simply run again. */
  isTransient(err: unknown): boolean;
}

const sqlite: Dialect = {
  serialKey: 'INTEGER PRIMARY KEY',
  text: 'TEXT',
  forUpdate: '',
  isUniqueViolation: (err) => /SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)/.test(String((err as { code?: string })?.code)),
  // One write connection per process behind BEGIN IMMEDIATE: batches never hold row locks against each other.
  isTransient: () => false,
};

const postgres: Dialect = {
  serialKey: 'BIGSERIAL PRIMARY KEY',
  text: 'TEXT COLLATE "C"',
  forUpdate: ' FOR UPDATE',
  isUniqueViolation: (err) => (err as { code?: string })?.code === '23505',
  // 40P01 deadlock_detected, 40001 serialization_failure. https://www.postgresql.org/docs/current/errcodes-appendix.html
  isTransient: (err) => ['40P01', '40001'].includes(String((err as { code?: string })?.code)),
};

export function dialectOf(d: SqlDialect): Dialect {
  return d === 'postgres' ? postgres : sqlite;
}
