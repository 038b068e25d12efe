// SqlDatabase over better-sqlite3: WAL, one serialised write connection and a separate read connection. https://www.sqlite.org/wal.html
import Database from 'better-sqlite3';
import type { SqlDatabase } from '../sql/database.js';
import { createMutex, type Mutex } from '../sql/mutex.js';
import { createTxDatabase, type TxConnection } from '../sql/transaction-database.js';
import { DatabaseUnavailable } from '../sql/unavailable.js';
import { discardStat4Samples } from './sqlite-stats.js';
import { BackstopAutocheckpointPages, startWalCheckpointer } from './wal-checkpointer.js';

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

/**
 * SQLite's own busy wait blocks the event loop (better-sqlite3 is synchronous), so it is kept short and the wait for
 * another process's write lock (`npm run import`) happens here, asynchronously, up to the configured bound.
 */
const LockPollMs = 50;
/**
 * Another gateway worker holds the write lock for one audit batch, about a millisecond: the wait starts there and
 * doubles up to LockPollMs. A flat 50 ms poll left each worker idle behind the other's batches, so two workers
 * served less than one (bench WORKERS pass); a long import's lock still costs only a poll every 50 ms.
 */
const FirstPollMs = 1;

const isBusy = (err: unknown): boolean => /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown })?.code ?? ''));

async function whenNotBusy<T>(fn: () => T, deadline: number): Promise<T> {
  for (let wait = FirstPollMs; ; wait = Math.min(wait * 2, LockPollMs)) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err)) throw err;
      if (Date.now() >= deadline) throw new DatabaseUnavailable('another process holds the write lock');
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Maps a lock error met anyway (inside a transaction, on a read) to 503 rather than 500. */
function unlessBusy<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw isBusy(err) ? new DatabaseUnavailable('another process holds the lock') : err;
  }
}

function openConnection(path: string, readonly: boolean, autocheckpoint: number): Connection {
  const conn = new Database(path, readonly ? { readonly: false, fileMustExist: true } : {});
  // SQLite's own busy handler sleeps synchronously, stalling every request of the process; waits happen in whenNotBusy.
  conn.pragma('busy_timeout = 0');
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('cache_size = -65536');
  conn.pragma('temp_store = MEMORY');
  conn.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
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
    query: async <R>(sql: string, params?: unknown[]) => unlessBusy(() => writer.query(sql, params)) as R[],
    execute: async (sql: string, params?: unknown[]) => unlessBusy(() => writer.execute(sql, params)),
    exec: async (sql: string) => {
      unlessBusy(() => conn.exec(sql));
    },
  };
}

/**
 * Opens (creating if needed) a SQLite database file. Writes and transactions are serialised by an async
 * mutex on the write connection; plain queries use a read connection so they only see committed data.
 * An in-memory database (':memory:') has a single connection, so reads may see open transactions.
 */
export function openSqliteDatabase(path: string, options: { busyTimeoutMs?: number; backgroundCheckpoints?: boolean } = {}): SqlDatabase {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const inMemory = path === ':memory:' || path === '';
  const background = !inMemory && options.backgroundCheckpoints === true;
  const autocheckpoint = background ? BackstopAutocheckpointPages : 10_000;
  const writeConn = openConnection(path, false, autocheckpoint);
  // Before the read connection loads the schema, so neither plans with value samples (sqlite-stats.ts).
  discardStat4Samples(writeConn);
  const readConn = inMemory ? writeConn : openConnection(path, true, autocheckpoint);
  const checkpointer = background ? startWalCheckpointer(path) : undefined;
  const writer = createRunner(writeConn);
  const reader = inMemory ? writer : createRunner(readConn);
  const mutex: Mutex = createMutex();

  return {
    dialect: 'sqlite',
    inTransaction: false,
    async query<R>(sql: string, params?: unknown[]): Promise<R[]> {
      return (await whenNotBusy(() => reader.query(sql, params), Date.now() + busyTimeoutMs)) as R[];
    },
    async execute(sql, params) {
      const deadline = Date.now() + busyTimeoutMs;
      return mutex.run(async () => whenNotBusy(() => writer.execute(sql, params), deadline));
    },
    async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
      // The bound counts from the request, not from its turn at the in-process mutex.
      const deadline = Date.now() + busyTimeoutMs;
      return mutex.run(async () => {
        await whenNotBusy(() => writeConn.exec('BEGIN IMMEDIATE'), deadline);
        const tx = createTxDatabase(txConnection(writer, writeConn));
        try {
          const result = await fn(tx);
          unlessBusy(() => writeConn.exec('COMMIT'));
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
      await checkpointer?.stop();
      await mutex.run(async () => {
        if (readConn !== writeConn) readConn.close();
        writeConn.close();
      });
    },
  };
}
