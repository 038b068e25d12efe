// A minimal async SQL connection shared by the resource store and the audit log (SQLite and PostgreSQL).
/**
 * SQL is written with `?` placeholders; the PostgreSQL implementation rewrites them to `$n`.
 * Identifiers never come from requests: only from the search-parameter registry and constants.
 */
export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlDatabase {
  readonly dialect: SqlDialect;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  execute(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  /**
   * Runs `fn` in a transaction on a connection bound to it; nested calls become savepoints.
   * Commits when `fn` resolves, rolls back when it throws.
   */
  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  /** True inside a transaction callback. */
  readonly inTransaction: boolean;
  /** Inside a transaction: what it has written so far, shared with its savepoints (change-stamp.ts). */
  readonly txState?: { factsWritten: boolean };
  close(): Promise<void>;
  /** Connection-pool use, where there is a pool (PostgreSQL), for metrics. */
  poolStats?(): { total: number; idle: number; waiting: number; max: number };
}
