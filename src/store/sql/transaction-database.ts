// The SqlDatabase handed to a transaction callback, shared by both dialects: nested calls become savepoints.
import type { SqlDatabase, SqlDialect, StatementOptions } from './database.js';

/** What a dialect provides for a connection already inside BEGIN. */
export interface TxConnection {
  dialect: SqlDialect;
  query<R>(sql: string, params?: unknown[], options?: StatementOptions): Promise<R[]>;
  execute(sql: string, params?: unknown[], options?: StatementOptions): Promise<{ changes: number }>;
  /** Runs a statement without parameters (savepoint control). */
  exec(sql: string): Promise<void>;
}

export function createTxDatabase(conn: TxConnection, depth = 0, txState = { factsWritten: false }): SqlDatabase & { active: boolean } {
  const tx = {
    dialect: conn.dialect,
    inTransaction: true,
    txState,
    active: true,
    async query<R>(sql: string, params?: unknown[], options?: StatementOptions): Promise<R[]> {
      if (!tx.active) throw new Error('Transaction already finished');
      return conn.query<R>(sql, params, options);
    },
    async execute(sql: string, params?: unknown[], options?: StatementOptions) {
      if (!tx.active) throw new Error('Transaction already finished');
      return conn.execute(sql, params, options);
    },
    async transaction<T>(fn: (inner: SqlDatabase) => Promise<T>): Promise<T> {
      // Both SQLite and PostgreSQL accept the full SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO SAVEPOINT forms.
      const name = `sp_${depth + 1}`;
      await conn.exec(`SAVEPOINT ${name}`);
      const inner = createTxDatabase(conn, depth + 1, txState);
      try {
        const result = await fn(inner);
        await conn.exec(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (err) {
        await conn.exec(`ROLLBACK TO SAVEPOINT ${name}`);
        await conn.exec(`RELEASE SAVEPOINT ${name}`);
        throw err;
      } finally {
        inner.active = false;
      }
    },
    async close() {
      throw new Error('Cannot close a transaction connection');
    },
  };
  return tx;
}
