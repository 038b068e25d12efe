// SqlDatabase over a node-postgres Pool: transactions on a dedicated client, nested ones as savepoints. https://node-postgres.com/features/transactions
import pg from 'pg';
import type { SqlDatabase } from '../sql/database.js';
import { createTxDatabase, type TxConnection } from '../sql/transaction-database.js';

/** BIGINT and NUMERIC come back as strings by default; our keys and epoch values fit in a double. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Rewrites `?` placeholders to `$1..$n`, leaving quoted literals and identifiers alone. */
export function toPositional(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

function bindable(params: unknown[] | undefined): unknown[] {
  return (params ?? []).map((p) => (p === undefined ? null : p));
}

type Queryable = pg.Pool | pg.PoolClient;

async function run<R>(conn: Queryable, sql: string, params?: unknown[]): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
  return conn.query<R & pg.QueryResultRow>(toPositional(sql), bindable(params));
}

function txConnection(client: pg.PoolClient): TxConnection {
  return {
    dialect: 'postgres',
    query: async <R>(sql: string, params?: unknown[]) => (await run<R>(client, sql, params)).rows,
    execute: async (sql: string, params?: unknown[]) => ({ changes: (await run(client, sql, params)).rowCount ?? 0 }),
    exec: async (sql: string) => {
      await client.query(sql);
    },
  };
}

/**
 * Connects a pool to `url`. A schema can be chosen in the URL itself, e.g.
 * `postgres://host/db?options=-c%20search_path%3Dmy_schema`, which is how tests isolate themselves.
 */
export function openPostgresDatabase(url: string, options: { max?: number } = {}): SqlDatabase {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types });
  // An idle client's error (e.g. server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);

  return {
    dialect: 'postgres',
    inTransaction: false,
    async query<R>(sql: string, params?: unknown[]): Promise<R[]> {
      return (await run<R>(pool, sql, params)).rows;
    },
    async execute(sql, params) {
      return { changes: (await run(pool, sql, params)).rowCount ?? 0 };
    },
    async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const tx = createTxDatabase(txConnection(client));
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        tx.active = false;
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 }),
  };
}
