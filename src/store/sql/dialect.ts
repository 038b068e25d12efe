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
}

const sqlite: Dialect = {
  serialKey: 'INTEGER PRIMARY KEY',
  text: 'TEXT',
  forUpdate: '',
  isUniqueViolation: (err) => /SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)/.test(String((err as { code?: string })?.code)),
};

const postgres: Dialect = {
  serialKey: 'BIGSERIAL PRIMARY KEY',
  text: 'TEXT COLLATE "C"',
  forUpdate: ' FOR UPDATE',
  isUniqueViolation: (err) => (err as { code?: string })?.code === '23505',
};

export function dialectOf(d: SqlDialect): Dialect {
  return d === 'postgres' ? postgres : sqlite;
}
