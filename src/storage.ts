// Opens the configured store exactly as the gateway uses it: one database, the project's search parameters and profiles, migrated.
import { mkdirSync } from 'node:fs';
import { withAuditEventStore } from './audit/audit-event-store.js';
import { createAuditTrail, type AuditTrailWithLog } from './audit/audit-trail.js';
import { sqlitePath, type GatewayConfig } from './config.js';
import { createSearchRegistry, type SearchRegistry } from './search/registry.js';
import { openPostgresDatabase } from './store/postgres/postgres-database.js';
import type { ResourceStore } from './store/resource-store.js';
import type { SqlDatabase } from './store/sql/database.js';
import { createSqlResourceStoreFactory } from './store/sql/sql-resource-store.js';
import { migrateStore } from './store/migrate.js';
import { openSqliteDatabase } from './store/sqlite/sqlite-database.js';
import type { ConformanceResources } from './validation/load-profiles.js';
import { createProjectValidator, loadProjectConformance } from './validation/project-validator.js';
import type { Validator } from './validation/validator.js';

import { ProjectRoot } from './project-root.js';

export { ProjectRoot };

export interface Storage {
  db: SqlDatabase;
  registry: SearchRegistry;
  validator: Validator;
  conformance: ConformanceResources;
  /** The unguarded store over a connection (the whole database, or one transaction). */
  rawStore(db: SqlDatabase): ResourceStore;
  audit: AuditTrailWithLog;
}

type StorageConfig = Pick<GatewayConfig, 'databaseUrl' | 'dataDir' | 'auditHmacKey'> & Partial<Pick<GatewayConfig, 'postgres' | 'sqliteBusyTimeoutMs'>>;

function openDatabase(config: StorageConfig): SqlDatabase {
  if (config.databaseUrl) {
    const pg = config.postgres;
    return openPostgresDatabase(config.databaseUrl, pg && { max: pg.poolSize, statementTimeoutMs: pg.statementTimeoutMs, connectionTimeoutMs: pg.connectionTimeoutMs, namedStatements: pg.namedStatements });
  }
  mkdirSync(config.dataDir, { recursive: true });
  return openSqliteDatabase(sqlitePath(config), { busyTimeoutMs: config.sqliteBusyTimeoutMs, backgroundCheckpoints: true });
}

/**
 * Every writer of the store (gateway, import command, benchmark loader) must index with the same search parameters,
 * or consent conditions on project parameters (release-date, restriction-parent, ...) would miss its records.
 */
export async function openStorage(config: StorageConfig): Promise<Storage> {
  const conformance = loadProjectConformance();
  const registry = createSearchRegistry(conformance.searchParameters);
  const validator = createProjectValidator(conformance);
  const db = openDatabase(config);
  const rawStore = withAuditEventStore(createSqlResourceStoreFactory(registry, db.dialect, { appendOnlyTypes: ['AuditEvent'] }));
  const audit = createAuditTrail({ hmacKey: config.auditHmacKey });
  await migrateStore(db, { audit });
  return { db, registry, validator, conformance, rawStore, audit };
}
