// SqlDatabase over better-sqlite3: WAL, one serialised write connection and a separate read connection. https://www.sqlite.org/wal.html
import Database from 'better-sqlite3';
import type { SqlDatabase } from '../sql/database.js';
import { createMutex, type Mutex } from '../sql/mutex.js';
import { createTxDatabase, type TxConnection } from '../sql/transaction-database.js';

type Connection = Database.Database;

const STATEMENT_CACHE_SIZE = 500;

/** Prepared statements are cached per connection; the cache is simply reset when full. */
function createStatementCache(conn: Connection): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
      stmt = conn.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** SQLite binds neither booleans nor undefined. */
function bindable(params: unknown[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

function openConnection(path: string, readonly: boolean): Connection {
  const conn = new Database(path, readonly ? { readonly: false, fileMustExist: true } : {});
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');
  conn.pragma('cache_size = -65536');
  conn.pragma('temp_store = MEMORY');
  conn.pragma('wal_autocheckpoint = 10000');
  if (readonly) conn.pragma('query_only = ON');
  return conn;
}

interface Runner {
  query(sql: string, params?: unknown[]): unknown[];
  execute(sql: string, params?: unknown[]): { changes: number };
}

function createRunner(conn: Connection): Runner {
  const prepare = createStatementCache(conn);
  return {
    query(sql, params) {
      const stmt = prepare(sql);
      if (!stmt.reader) {
        stmt.run(...bindable(params));
        return [];
      }
      return stmt.all(...bindable(params));
    },
    execute(sql, params) {
      const stmt = prepare(sql);
      if (stmt.reader) {
        const rows = stmt.all(...bindable(params));
        return { changes: rows.length };
      }
      return { changes: stmt.run(...bindable(params)).changes };
    },
  };
}

/** The connection handed to a transaction callback; nested transactions become savepoints. */
function txConnection(writer: Runner, conn: Connection): TxConnection {
  return {
    dialect: 'sqlite',
    query: async <R>(sql: string, params?: unknown[]) => writer.query(sql, params) as R[],
    execute: async (sql: string, params?: unknown[]) => writer.execute(sql, params),
    exec: async (sql: string) => {
      conn.exec(sql);
    },
  };
}

/**
 * Opens (creating if needed) a SQLite database file. Writes and transactions are serialised by an async
 * mutex on the write connection; plain queries use a read connection so they only see committed data.
 * An in-memory database (':memory:') has a single connection, so reads may see open transactions.
 */
export function openSqliteDatabase(path: string): SqlDatabase {
  const inMemory = path === ':memory:' || path === '';
  const writeConn = openConnection(path, false);
  const readConn = inMemory ? writeConn : openConnection(path, true);
  const writer = createRunner(writeConn);
  const reader = inMemory ? writer : createRunner(readConn);
  const mutex: Mutex = createMutex();

  return {
    dialect: 'sqlite',
    inTransaction: false,
    async query<R>(sql: string, params?: unknown[]): Promise<R[]> {
      return reader.query(sql, params) as R[];
    },
    async execute(sql, params) {
      return mutex.run(async () => writer.execute(sql, params));
    },
    async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
      return mutex.run(async () => {
        writeConn.exec('BEGIN IMMEDIATE');
        const tx = createTxDatabase(txConnection(writer, writeConn));
        try {
          const result = await fn(tx);
          writeConn.exec('COMMIT');
          return result;
        } catch (err) {
          if (writeConn.inTransaction) writeConn.exec('ROLLBACK');
          throw err;
        } finally {
          tx.active = false;
        }
      });
    },
    async close() {
      await mutex.run(async () => {
        if (readConn !== writeConn) readConn.close();
        writeConn.close();
      });
    },
  };
}
