// SqlDatabase over a node-postgres Pool: transactions on a dedicated client, nested ones as savepoints. https://node-postgres.com/features/transactions
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { SqlDatabase, StatementOptions } from '../sql/database.js';
import { createTxDatabase, type TxConnection } from '../sql/transaction-database.js';
import { currentRequestSignal, DatabaseUnavailable } from '../sql/unavailable.js';
import { asUnavailable, isUnavailable } from './pg-faults.js';

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
type Run = <R>(conn: Queryable, sql: string, params?: unknown[], options?: StatementOptions) => Promise<pg.QueryResult<R & pg.QueryResultRow>>;

/** Runs of a text before it is prepared under a name: a text run once or twice is not worth a server-side statement. */
const RunsBeforeNaming = 3;

interface KnownText {
  positional: string;
  runs: number;
  name?: string;
}

/**
 * Runs a statement written with `?` placeholders. The store's statements are a few texts run many times (values are
 * bound, compiled consent filters are reused). Unnamed, each run had the server parse and plan the text again: a
 * consent-guarded read by id spent about 0.8 ms of PostgreSQL's CPU in parse and bind (planning) and 0.05 ms executing.
 * A text its caller marks `samePlan` and runs often is therefore prepared once per connection under a name taken from
 * its content, and the server may reuse one plan for it. Bounded both ways: remembered texts by an LRU, named
 * statements per connection by a cap.
 */
function createRun(namedPerConnection: number): Run {
  const texts = new LRUCache<string, KnownText>({ max: 2000 });
  const named = new WeakMap<Queryable, Set<string>>();
  const nameFor = (conn: Queryable, known: KnownText, params: unknown[] | undefined, options: StatementOptions | undefined): string | undefined => {
    // A pool hands each query to any of its connections; only a connection we hold can be counted.
    if (!options?.samePlan || namedPerConnection === 0 || conn instanceof pg.Pool || ++known.runs < RunsBeforeNaming) return undefined;
    known.name ??= `k${createHash('sha1').update(known.positional).digest('hex').slice(0, 24)}`;
    let mine = named.get(conn);
    if (!mine) named.set(conn, (mine = new Set()));
    if (!mine.has(known.name)) {
      // The server keeps each until the connection closes.
      if (mine.size >= namedPerConnection) return undefined;
      mine.add(known.name);
    }
    return known.name;
  };
  return async <R>(conn: Queryable, sql: string, params?: unknown[], options?: StatementOptions) => {
    let known = texts.get(sql);
    if (known === undefined) texts.set(sql, (known = { positional: toPositional(sql), runs: 0 }));
    const name = nameFor(conn, known, params, options);
    try {
      // A text and values, not a config object, where there is no name: node-postgres copies a config object property by
      // property on every query (about 1% of a PostgreSQL read's CPU in a profile).
      return await (name ? conn.query<R & pg.QueryResultRow>({ name, text: known.positional, values: bindable(params) }) : conn.query<R & pg.QueryResultRow>(known.positional, bindable(params)));
    } catch (err) {
      throw asUnavailable(err);
    }
  };
}

/** Several statements in one text (the simple query protocol) answer with a result each; the caller wants the last. */
const lastResult = <R>(result: pg.QueryResult<R & pg.QueryResultRow> | Array<pg.QueryResult<R & pg.QueryResultRow>>) =>
  Array.isArray(result) ? result[result.length - 1] : result;

/**
 * The connection of one transaction. BEGIN is not sent on its own: it goes with the transaction's first statement when
 * that has no parameters (the simple query protocol takes several statements in one message), else just before it.
 * Every round trip costs the gateway a socket write and a read; an audit batch's BEGIN then costs none.
 */
function txConnection(client: pg.PoolClient, run: Run, pending: { begin: boolean }): TxConnection {
  /** As given, no placeholder rewriting (DDL bodies may hold a literal `?`). */
  const raw = async <R>(text: string) => {
    try {
      return await client.query<R & pg.QueryResultRow>(text);
    } catch (err) {
      throw asUnavailable(err);
    }
  };
  async function send<R>(sql: string, params?: unknown[], options?: StatementOptions, verbatim = false): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    const go = (text: string, opts?: StatementOptions) => (verbatim ? raw<R>(text) : run<R>(client, text, params, opts));
    if (pending.begin) {
      pending.begin = false;
      if (!params?.length) return lastResult<R>(await go(`BEGIN; ${sql}`));
      await run(client, 'BEGIN');
    }
    return lastResult<R>(await go(sql, options));
  }
  return {
    dialect: 'postgres',
    query: async <R>(sql: string, params?: unknown[], options?: StatementOptions) => (await send<R>(sql, params, options)).rows,
    execute: async (sql: string, params?: unknown[], options?: StatementOptions) => ({ changes: (await send(sql, params, options)).rowCount ?? 0 }),
    exec: async (sql: string) => {
      await send(sql, undefined, undefined, true);
    },
  };
}

export interface PostgresOptions {
  max?: number;
  /** Server-side statement_timeout; the client also gives up a second later in case the server is frozen. */
  statementTimeoutMs?: number;
  /** Wait for a connection, new or from the pool. */
  connectionTimeoutMs?: number;
  /** Statements marked samePlan one connection prepares under a name at most (200); 0 prepares none. */
  namedStatements?: number;
}

/**
 * Connects a pool to `url`. A schema can be chosen in the URL itself, e.g.
 * `postgres://host/db?options=-c%20search_path%3Dmy_schema`, which is how tests isolate themselves.
 * Every failure of the server being away (down, restarting, frozen, terminated connections, timeouts) surfaces as
 * DatabaseUnavailable (503); nothing of it may crash the process, and the pool reconnects when the server returns.
 */
export function openPostgresDatabase(url: string, options: PostgresOptions = {}): SqlDatabase {
  const statementTimeout = options.statementTimeoutMs ?? 15_000;
  const run = createRun(options.namedStatements ?? 200);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 1000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    keepAlive: true,
  });
  // An idle client's error (e.g. server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // A checked-out client emits 'error' too when its connection dies mid-transaction (the query rejects as well);
  // without a listener that event is unhandled and ends the process.
  pool.on('connect', (client) => client.on('error', () => undefined));

  async function connect(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (err) {
      throw asUnavailable(err);
    }
  }

  /**
   * A statement outside a transaction (reads run here, off the write path). While an HTTP request is being served it
   * runs on a client of its own, so the request's hang-up can cancel it like a transaction's statements.
   */
  async function runOnPool<R>(sql: string, params?: unknown[], options?: StatementOptions): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    const signal = currentRequestSignal();
    if (!signal) return run<R>(pool, sql, params, options);
    if (signal.aborted) throw new DatabaseUnavailable('the client went away');
    const client = await connect();
    let broken = false;
    const cancel = (): void => {
      broken = true;
      pool.query('SELECT pg_cancel_backend($1)', [(client as unknown as { processID: number }).processID]).catch(() => undefined);
    };
    signal.addEventListener('abort', cancel, { once: true });
    try {
      return await run<R>(client, sql, params, options);
    } catch (err) {
      if (isUnavailable(err) || err instanceof DatabaseUnavailable) broken = true;
      throw err;
    } finally {
      signal.removeEventListener('abort', cancel);
      client.release(broken);
    }
  }

  return {
    dialect: 'postgres',
    inTransaction: false,
    async query<R>(sql: string, params?: unknown[], options?: StatementOptions): Promise<R[]> {
      return (await runOnPool<R>(sql, params, options)).rows;
    },
    async execute(sql, params, options) {
      return { changes: (await runOnPool(sql, params, options)).rowCount ?? 0 };
    },
    async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
      const client = await connect();
      const pending = { begin: true };
      const tx = createTxDatabase(txConnection(client, run, pending));
      let broken = false;
      // The HTTP client went away: cancel what runs on this connection (from another one, as PostgreSQL requires).
      const signal = currentRequestSignal();
      const cancel = (): void => {
        broken = true;
        pool.query('SELECT pg_cancel_backend($1)', [(client as unknown as { processID: number }).processID]).catch(() => undefined);
      };
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        const result = await fn(tx);
        // A transaction that ran no statement never began.
        if (!pending.begin) await run(client, 'COMMIT');
        return result;
      } catch (err) {
        // A lost or frozen connection cannot roll back; dropping it makes the server roll back.
        if (isUnavailable(err) || err instanceof DatabaseUnavailable) broken = true;
        if (!broken && !pending.begin) {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
        }
        throw err;
      } finally {
        signal?.removeEventListener('abort', cancel);
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
