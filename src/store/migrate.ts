// Runs the numbered store migrations with Kysely's Migrator (history table, ordering, "unknown migration" refusal) over the gateway's own SqlDatabase. https://kysely.dev/docs/migrations
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Migration,
  type QueryResult,
} from 'kysely';
import type { SqlDatabase } from './sql/database.js';
import { StoreMigrations } from './migrations/index.js';
import type { MigrationContext } from './migrations/migration.js';

export const MigrationTable = 'schema_migration';
const MigrationLockTable = 'schema_migration_lock';
/** Serialises migrating processes on PostgreSQL until the migrating transaction commits (SQLite: BEGIN IMMEDIATE does). */
const MigrateLockKey = 872360;

export class SchemaTooNew extends Error {}

/**
 * Kysely talks to one open transaction of ours: its own "transactions" become savepoints, so every migration and
 * its history row commit together, or nothing does.
 */
function dialectOver(tx: SqlDatabase): Dialect {
  const connection: DatabaseConnection = {
    async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      return { rows: await tx.query<R>(q.sql, [...q.parameters]) };
    },
    // eslint-disable-next-line require-yield
    async *streamQuery() {
      throw new Error('streaming is not used by migrations');
    },
  };
  const run = (sql: string) => tx.execute(sql).then(() => undefined);
  const driver: Driver = {
    init: async () => undefined,
    acquireConnection: async () => connection,
    beginTransaction: () => run('SAVEPOINT kysely_migration'),
    commitTransaction: () => run('RELEASE SAVEPOINT kysely_migration'),
    rollbackTransaction: async () => {
      await run('ROLLBACK TO SAVEPOINT kysely_migration');
      await run('RELEASE SAVEPOINT kysely_migration');
    },
    releaseConnection: async () => undefined,
    destroy: async () => undefined,
  };
  const pg = tx.dialect === 'postgres';
  return {
    createAdapter: () => (pg ? new PostgresAdapter() : new SqliteAdapter()),
    createDriver: () => driver,
    createIntrospector: (db) => (pg ? new PostgresIntrospector(db) : new SqliteIntrospector(db)),
    createQueryCompiler: () => (pg ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
  };
}

/** Names of the migrations this database has run (none if it has never been migrated). */
export async function appliedMigrations(db: SqlDatabase): Promise<string[]> {
  const read = (conn: SqlDatabase) => conn.query<{ name: string }>(`SELECT name FROM ${MigrationTable} ORDER BY name`);
  try {
    // In a transaction, a missing table must not abort it (PostgreSQL): the look-up gets a savepoint of its own.
    return (await (db.inTransaction ? db.transaction(read) : read(db))).map((r) => r.name);
  } catch {
    return [];
  }
}

/** Whether the database is at exactly the schema this code knows (for readiness). */
export async function schemaIsCurrent(db: SqlDatabase): Promise<boolean> {
  const applied = await db.query<{ name: string }>(`SELECT name FROM ${MigrationTable} ORDER BY name`);
  const known = StoreMigrations.map(([n]) => n);
  return applied.length === known.length && applied.every((r, i) => r.name === known[i]);
}

/**
 * Brings the store to the latest migration, all in one transaction. A database that has run a migration this
 * code does not know (written by a newer gateway) is refused: running old code on it could corrupt it.
 */
export async function migrateStore(db: SqlDatabase, ctx: Omit<MigrationContext, 'db'>): Promise<{ applied: string[] }> {
  return db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(${MigrateLockKey})`);
    const known = new Set(StoreMigrations.map(([name]) => name));
    const unknown = (await appliedMigrations(tx)).filter((n) => !known.has(n));
    if (unknown.length) {
      throw new SchemaTooNew(`the database schema is newer than this gateway (it has run migration ${unknown.join(', ')}, which this version does not know); run a newer version`);
    }
    const kysely = new Kysely<unknown>({ dialect: dialectOver(tx) });
    const migrations: Record<string, Migration> = Object.fromEntries(StoreMigrations.map(([name, up]) => [name, { up: () => up({ ...ctx, db: tx }) }]));
    // Kysely's table look-up spans every schema; naming ours keeps another schema's history (a neighbouring tenant or test) out.
    const schema = tx.dialect === 'postgres' ? (await tx.query<{ s: string }>('SELECT current_schema() AS s'))[0]?.s : undefined;
    const migrator = new Migrator({
      db: kysely,
      ...(schema ? { migrationTableSchema: schema } : {}),
      provider: { getMigrations: async () => migrations },
      migrationTableName: MigrationTable,
      migrationLockTableName: MigrationLockTable,
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
  });
}
