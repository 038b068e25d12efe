// Bench population: the project's seeded generator bulk-loaded into a SQLite (or PostgreSQL) store, cached by seed and size.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { createAuditTrail } from '../src/audit/audit-trail.js';
import { ProjectRoot } from '../src/gateway.js';
import { generatePopulation } from '../src/kanta/generator.js';
import { createSearchRegistry } from '../src/search/registry.js';
import type { SqlDatabase } from '../src/store/sql/database.js';
import { createSqlResourceStore, migrateResourceStore } from '../src/store/sql/sql-resource-store.js';
import { openSqliteDatabase } from '../src/store/sqlite/sqlite-database.js';
import { loadConformanceResources } from '../src/validation/load-profiles.js';

export interface PopulationSpec {
  seed: number;
  patients: number;
  /** Fixed so the cache key stays valid across days (delays and ages are computed from it). */
  asOf: string;
}

export interface LoadStats {
  resources: number;
  consents: number;
  seconds: number;
}

/** Resources per store transaction: large enough to amortise the commit, small enough to keep memory flat. */
const BATCH = 2000;

export function cacheDir(spec: PopulationSpec): string {
  return join(ProjectRoot, 'bench', '.cache', `seed${spec.seed}-p${spec.patients}-${spec.asOf}`);
}

function registry() {
  const conformance = loadConformanceResources(['profiles', 'mappings', 'conformance'].map((d) => join(ProjectRoot, d)));
  return createSearchRegistry(conformance.searchParameters);
}

/** Writes every generated resource through the real store (same index rows as the gateway), in batches. */
export async function bulkLoad(db: SqlDatabase, batches: Iterable<Resource[]>, onProgress?: (n: number) => void): Promise<LoadStats> {
  const started = Date.now();
  await migrateResourceStore(db);
  await createAuditTrail().migrate(db);
  const store = createSqlResourceStore(db, registry(), { appendOnlyTypes: ['AuditEvent'] });
  let pending: Resource[] = [];
  let resources = 0;
  let consents = 0;
  const flush = async () => {
    const chunk = pending;
    pending = [];
    await store.transaction(async (tx) => {
      for (const r of chunk) await tx.update(r);
    });
    resources += chunk.length;
    onProgress?.(resources);
  };
  for (const batch of batches) {
    for (const r of batch) {
      if (r.resourceType === 'Consent') consents++;
      pending.push(r);
    }
    if (pending.length >= BATCH) await flush();
  }
  if (pending.length) await flush();
  if (db.dialect === 'sqlite') await db.execute('ANALYZE');
  else await db.execute('ANALYZE');
  return { resources, consents, seconds: (Date.now() - started) / 1000 };
}

/**
 * The cached SQLite file for this spec, generated on first use. Building goes to a temporary name
 * and is renamed at the end, so an interrupted build is never mistaken for a finished one.
 */
export async function ensureSqlitePopulation(spec: PopulationSpec, log: (msg: string) => void): Promise<{ file: string; built?: LoadStats }> {
  const dir = cacheDir(spec);
  const file = join(dir, 'population.db');
  if (existsSync(file)) return { file };
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, 'building.db');
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  const db = openSqliteDatabase(tmp);
  let last = 0;
  const stats = await bulkLoad(db, generatePopulation({ seed: spec.seed, patients: spec.patients, asOf: spec.asOf }), (n) => {
    if (n - last >= 50_000) {
      last = n;
      log(`  loaded ${n} resources`);
    }
  });
  await db.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.close();
  renameSync(tmp, file);
  return { file, built: stats };
}
