// The bench population in a PostgreSQL schema of its own (bench_s<seed>_p<patients>), kept between runs and reset to its loaded state at each.
import pg from 'pg';
import { createAuditTrail } from '../src/audit/audit-trail.js';
import { generatePopulation } from '../src/kanta/generator.js';
import { openPostgresDatabase } from '../src/store/postgres/postgres-database.js';
import { IndexTables } from '../src/store/sql/schema.js';
import { bulkLoad, type LoadStats, type PopulationSpec } from './population.js';

/** A kept schema starts each run as loaded: the resources earlier runs created and the audit trail are removed. */
async function resetPostgresRuns(schemaUrl: string, log: (msg: string) => void): Promise<void> {
  const db = openPostgresDatabase(schemaUrl, { max: 1 });
  try {
    const cols = await db.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'bench_population_done' AND table_schema = current_schema()");
    const marker = cols.some((c) => c.column_name === 'max_rid') ? (await db.query<{ max_rid: string | number | null }>('SELECT max_rid FROM bench_population_done'))[0]?.max_rid : null;
    await db.transaction(async (tx) => {
      if (marker !== null && marker !== undefined) {
        for (const table of IndexTables) await tx.execute(`DELETE FROM ${table} WHERE rid > ?`, [Number(marker)]);
        await tx.execute('DELETE FROM resource_version WHERE rid > ?', [Number(marker)]);
        await tx.execute('DELETE FROM resource WHERE rid > ?', [Number(marker)]);
      }
      await tx.execute('DROP TABLE IF EXISTS audit_event, audit_chain');
      await createAuditTrail().migrate(tx);
    });
    log(marker === null || marker === undefined ? 'PostgreSQL schema reused; its audit trail emptied (an older marker: created resources kept)' : 'PostgreSQL schema reused as loaded: earlier runs\' resources and audit trail removed');
  } finally {
    await db.close();
  }
}

/** PostgreSQL: the population goes to its own schema, kept between runs (a marker table says it is complete). */
export async function ensurePostgresPopulation(spec: PopulationSpec, url: string, log: (msg: string) => void): Promise<{ url: string; built?: LoadStats }> {
  const schema = `bench_s${spec.seed}_p${spec.patients}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let done = false;
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const r = await client.query(`SELECT to_regclass('${schema}.bench_population_done') AS t`);
    done = r.rows[0].t !== null;
    if (!done) {
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.query(`CREATE SCHEMA ${schema}`);
    }
  } finally {
    await client.end();
  }
  const sep = url.includes('?') ? '&' : '?';
  const schemaUrl = `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  if (done) {
    await resetPostgresRuns(schemaUrl, log);
    return { url: schemaUrl };
  }
  log(`loading the population into PostgreSQL schema ${schema}`);
  const db = openPostgresDatabase(schemaUrl);
  const built = await bulkLoad(db, generatePopulation({ seed: spec.seed, patients: spec.patients, asOf: spec.asOf }));
  const [{ m }] = await db.query<{ m: string | number }>('SELECT COALESCE(MAX(rid), 0) AS m FROM resource');
  await db.execute('CREATE TABLE bench_population_done (at TEXT, max_rid BIGINT)');
  await db.execute('INSERT INTO bench_population_done (at, max_rid) VALUES (?, ?)', [new Date().toISOString(), Number(m)]);
  await db.close();
  return { url: schemaUrl, built };
}
