// What one numbered, forward-only store migration receives: the migration transaction and the modules owning tables.
import type { SqlDatabase } from '../sql/database.js';

export interface MigrationContext {
  /** The migration's transaction (nested calls become savepoints). */
  db: SqlDatabase;
  /** The audit log owns its tables and triggers. */
  audit: { migrate(db: SqlDatabase): Promise<void> };
}

export type StoreMigration = (ctx: MigrationContext) => Promise<void>;
