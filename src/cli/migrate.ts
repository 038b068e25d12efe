// `npm run migrate`: brings the configured store (DATABASE_URL or $DATA_DIR/gateway.db) to this version's schema, forward only. https://kysely.dev/docs/migrations
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAuditTrail } from '../audit/audit-trail.js';
import { migrateStore } from '../store/migrate.js';
import { openPostgresDatabase } from '../store/postgres/postgres-database.js';
import type { SqlDatabase } from '../store/sql/database.js';
import { openSqliteDatabase } from '../store/sqlite/sqlite-database.js';

export interface MigrateEnv {
  DATABASE_URL?: string;
  DATA_DIR?: string;
  AUDIT_HMAC_KEY?: string;
}

/** Exit codes: 0 migrated (or already current), 2 refused or failed (nothing changed: one transaction). */
export async function runMigrate(env: MigrateEnv, print: (line: string) => void = console.log): Promise<number> {
  let db: SqlDatabase;
  let where: string;
  if (env.DATABASE_URL) {
    db = openPostgresDatabase(env.DATABASE_URL, { max: 1 });
    where = 'PostgreSQL (DATABASE_URL)';
  } else {
    const dir = resolve(env.DATA_DIR ?? './data');
    mkdirSync(dir, { recursive: true });
    where = join(dir, 'gateway.db');
    db = openSqliteDatabase(where);
  }
  try {
    const { applied } = await migrateStore(db, { audit: createAuditTrail({ hmacKey: env.AUDIT_HMAC_KEY }) });
    print(applied.length ? `Migrated ${where}: ${applied.join(', ')}` : `${where} is already at the latest schema`);
    return 0;
  } catch (err) {
    print(`migrate: ${(err as Error).message}`);
    return 2;
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runMigrate(process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
