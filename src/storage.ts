// Opens the configured store exactly as the gateway uses it: one database, the project's search parameters and profiles, migrated.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditTrail, type AuditTrailWithLog } from './audit/audit-trail.js';
import { sqlitePath, type GatewayConfig } from './config.js';
import { createSearchRegistry, type SearchRegistry } from './search/registry.js';
import { openPostgresDatabase } from './store/postgres/postgres-database.js';
import type { ResourceStore } from './store/resource-store.js';
import type { SqlDatabase } from './store/sql/database.js';
import { createSqlResourceStoreFactory, migrateResourceStore } from './store/sql/sql-resource-store.js';
import { openSqliteDatabase } from './store/sqlite/sqlite-database.js';
import { loadConformanceResources, type ConformanceResources } from './validation/load-profiles.js';
import { createValidator, type Validator } from './validation/validator.js';
import { equivalentPhrProfile } from './pds/phr-kinds.js';
import type { CodeableConcept, Resource } from '@medplum/fhirtypes';

export const ProjectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Storage {
  db: SqlDatabase;
  registry: SearchRegistry;
  validator: Validator;
  conformance: ConformanceResources;
  /** The unguarded store over a connection (the whole database, or one transaction). */
  rawStore(db: SqlDatabase): ResourceStore;
  audit: AuditTrailWithLog;
}

function openDatabase(config: Pick<GatewayConfig, 'databaseUrl' | 'dataDir'>): SqlDatabase {
  if (config.databaseUrl) return openPostgresDatabase(config.databaseUrl);
  mkdirSync(config.dataDir, { recursive: true });
  return openSqliteDatabase(sqlitePath(config));
}

/**
 * Every writer of the store (gateway, import command, benchmark loader) must index with the same search parameters,
 * or consent conditions on project parameters (release-date, restriction-parent, ...) would miss its records.
 */
export async function openStorage(config: Pick<GatewayConfig, 'databaseUrl' | 'dataDir' | 'auditHmacKey'>): Promise<Storage> {
  const conformance = loadConformanceResources(['profiles', 'mappings', 'conformance'].map((d) => join(ProjectRoot, d)));
  const registry = createSearchRegistry(conformance.searchParameters);
  const validator = createValidator({
    profiles: conformance.structureDefinitions,
    valueSets: conformance.valueSets,
    codeSystems: conformance.codeSystems,
    // Existing Kanta PHR apps declare Kanta's or HL7's canonicals; ours are the equivalents they are validated against.
    equivalentProfile: (url, resource) => equivalentPhrProfile(url, resource as Resource & { code?: CodeableConcept }),
  });
  const db = openDatabase(config);
  const rawStore = createSqlResourceStoreFactory(registry, db.dialect, { appendOnlyTypes: ['AuditEvent'] });
  const audit = createAuditTrail({ hmacKey: config.auditHmacKey });
  await migrateResourceStore(db);
  await audit.migrate(db);
  return { db, registry, validator, conformance, rawStore, audit };
}
