// A minimal async SQL connection shared by the resource store and the audit log (SQLite and PostgreSQL).
/**
 * SQL is written with `?` placeholders; the PostgreSQL implementation rewrites them to `$n`.
 * Identifiers never come from requests: only from the search-parameter registry and constants.
 */
export type SqlDialect = 'sqlite' | 'postgres';

/** What a caller knows about a statement. */
export interface StatementOptions {
  /**
   * The statement's best plan does not depend on its values: a look-up by key, an insert, an update by key. PostgreSQL
   * may then prepare it once per connection and reuse one plan. Searches leave it unset: a plan made for no values in
   * particular was measured far slower for the values given (a patient's documents: 6.3 ms against 0.3 ms).
   */
  samePlan?: boolean;
}

export const SamePlan: StatementOptions = { samePlan: true };

export interface SqlDatabase {
  readonly dialect: SqlDialect;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: StatementOptions): Promise<R[]>;
  execute(sql: string, params?: unknown[], options?: StatementOptions): Promise<{ changes: number }>;
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
