// Migration 2: AuditEvents move to the append-only audit_event table with typed search columns, and the consent-facts change stamp (store_change) appears.
import { migrateResourceStore } from '../sql/schema.js';
import type { StoreMigration } from './migration.js';

/**
 * The resource-store and audit DDL are idempotent and upgrade in place (events are moved unchanged, their old generic
 * index rows removed, the chain kept), so a database at version 1 is brought forward by running them again; on a
 * database migration 1 has just created they change nothing.
 */
export const leanAuditStore: StoreMigration = async ({ db, audit }) => {
  await migrateResourceStore(db);
  await audit.migrate(db);
};
