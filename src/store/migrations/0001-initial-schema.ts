// Migration 1: the schema as it stood when versioned migrations began (resource store tables, then the audit chain).
import { migrateResourceStore } from '../sql/schema.js';
import type { StoreMigration } from './migration.js';

/** Idempotent DDL, so a database created before migrations were numbered is adopted as version 1 unchanged. */
export const initialSchema: StoreMigration = async ({ db, audit }) => {
  await migrateResourceStore(db);
  await audit.migrate(db);
};
