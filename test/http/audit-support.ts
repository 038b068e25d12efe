// Test support for the audit tests: a gateway plus a separate raw connection to the very same database (to break or tamper with it).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import type { Backend } from '../support/backends.js';

/** The same database the gateway uses, reached over a connection of its own (as an operator or a failing disk would). */
export interface RawDb {
  exec(sql: string): Promise<void>;
  /** Rows of a query (SQLite: `?` placeholders; PostgreSQL: `$1`). */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface Started {
  gateway: Gateway;
  raw: RawDb;
  /** What the CLIs (audit:verify, audit:export) need to open the same database. */
  env: { DATA_DIR?: string; DATABASE_URL?: string };
  /** Another gateway process on the same database (PostgreSQL; SQLite allows one writer process). */
  another(): Promise<Gateway>;
  close(): Promise<void>;
}

export async function startWithRawAccess(backend: Backend, extraEnv: Record<string, string> = {}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'kanta-failclosed-'));
  if (backend === 'sqlite') {
    const gateway = await createGateway({ config: loadConfig({ DATA_DIR: dir, DEV_ISSUER: '1', LOG_LEVEL: 'silent', ...extraEnv }), log: createLogger('silent') });
    const file = new Database(join(dir, 'gateway.db'));
    return {
      gateway,
      env: { DATA_DIR: dir },
      raw: { exec: async (sql) => void file.exec(sql), query: async <T>(sql: string, params: unknown[] = []) => file.prepare(sql).all(...params) as T[], close: async () => void file.close() },
      another: async () => {
        throw new Error('SQLite serves one gateway process');
      },
      async close() {
        file.close();
        await gateway.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const baseUrl = process.env.DATABASE_URL!;
  const schema = `fc_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path TO ${schema}`);
  const others: Gateway[] = [];
  const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const gateway = await createGateway({ config: loadConfig({ DATA_DIR: dir, DEV_ISSUER: '1', LOG_LEVEL: 'silent', DATABASE_URL: url, ...extraEnv }), log: createLogger('silent') });
  return {
    gateway,
    env: { DATABASE_URL: url },
    raw: { exec: async (sql) => void (await admin.query(sql)), query: async <T>(sql: string, params: unknown[] = []) => (await admin.query(sql, params)).rows as T[], close: async () => admin.end() },
    another: async () => {
      const g = await createGateway({ config: loadConfig({ DATA_DIR: dir, DEV_ISSUER: '1', LOG_LEVEL: 'silent', DATABASE_URL: url, ...extraEnv }), log: createLogger('silent') });
      others.push(g);
      return g;
    },
    async close() {
      for (const g of others) await g.close();
      await gateway.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

