// Change counters the database itself advances on every write of the types consent decisions are loaded from, per patient, so caches check freshness with one lookup.
import { ConsentFactTypes, isConsentFactType, type ChangeStamp } from '../resource-store.js';
import { SamePlan, type SqlDatabase } from './database.js';

/** Advanced by every Organization write and by any fact record whose patient cannot be told exactly. */
const Shared = 'consent-facts';
/** Advanced by writes of the Patient, and of Consents and RelatedPersons whose `patient` is `Patient/<id>`. */
const PatientPrefix = 'consent-facts:Patient/';
const typeList = ConsentFactTypes.map((t) => `'${t}'`).join(', ');

/**
 * Which counter a written row advances. A reference in any other form (absolute URL, version, none) advances the
 * shared counter, which every patient's stamp includes: an unexpected form costs cache hits, never freshness.
 */
const sqliteKey = (r: 'NEW' | 'OLD') => `CASE
    WHEN ${r}.resource_type = 'Patient' THEN '${PatientPrefix}' || ${r}.id
    WHEN ${r}.resource_type IN ('Consent', 'RelatedPerson') AND json_valid(${r}.content)
      AND json_extract(${r}.content, '$.patient.reference') LIKE 'Patient/_%'
      AND instr(substr(json_extract(${r}.content, '$.patient.reference'), 9), '/') = 0
      THEN 'consent-facts:' || json_extract(${r}.content, '$.patient.reference')
    ELSE '${Shared}' END`;
const sqliteBump = (r: 'NEW' | 'OLD') =>
  `INSERT INTO store_change (name, n) VALUES (${sqliteKey(r)}, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1`;

const when = (r: 'NEW' | 'OLD') => `${r}.resource_type IN (${typeList})`;

function ddl(dialect: SqlDatabase['dialect']): string[] {
  if (dialect === 'postgres') {
    return [
      'CREATE TABLE IF NOT EXISTS store_change (name VARCHAR(64) PRIMARY KEY, n BIGINT NOT NULL)',
      `CREATE OR REPLACE FUNCTION consent_facts_key(t TEXT, rid TEXT, content TEXT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $$
        DECLARE ref TEXT;
        BEGIN
          IF t = 'Patient' THEN RETURN '${PatientPrefix}' || rid; END IF;
          IF t IN ('Consent', 'RelatedPerson') THEN
            BEGIN
              ref := content::jsonb #>> '{patient,reference}';
            EXCEPTION WHEN others THEN
              ref := NULL;
            END;
            IF ref ~ '^Patient/[^/]+$' THEN RETURN 'consent-facts:' || ref; END IF;
          END IF;
          RETURN '${Shared}';
        END $$`,
      // Keys in a fixed order, so two transactions advancing the same counters cannot wait for each other in a cycle.
      `CREATE OR REPLACE FUNCTION consent_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE keys TEXT[] := '{}';
        BEGIN
          IF TG_OP <> 'DELETE' AND NEW.resource_type IN (${typeList}) THEN
            keys := keys || consent_facts_key(NEW.resource_type, NEW.id, NEW.content::text);
          END IF;
          IF TG_OP <> 'INSERT' AND OLD.resource_type IN (${typeList}) THEN
            keys := keys || consent_facts_key(OLD.resource_type, OLD.id, OLD.content::text);
          END IF;
          INSERT INTO store_change (name, n) SELECT DISTINCT k, 1 FROM unnest(keys) AS k ORDER BY 1
            ON CONFLICT (name) DO UPDATE SET n = store_change.n + 1;
          RETURN NULL;
        END $$`,
      // One trigger per operation, each with a WHEN on the type (a trigger for several operations may not name NEW or OLD
      // there): a row of any other type queues no trigger event and calls no function. With one unconditional trigger,
      // every imported Encounter or DocumentReference ran the function and an empty INSERT.
      'DROP TRIGGER IF EXISTS consent_facts_changed ON resource',
      `CREATE OR REPLACE TRIGGER consent_facts_insert AFTER INSERT ON resource FOR EACH ROW WHEN (${when('NEW')}) EXECUTE FUNCTION consent_facts_changed()`,
      `CREATE OR REPLACE TRIGGER consent_facts_update AFTER UPDATE ON resource FOR EACH ROW WHEN (${when('NEW')} OR ${when('OLD')}) EXECUTE FUNCTION consent_facts_changed()`,
      `CREATE OR REPLACE TRIGGER consent_facts_delete AFTER DELETE ON resource FOR EACH ROW WHEN (${when('OLD')}) EXECUTE FUNCTION consent_facts_changed()`,
    ];
  }
  return [
    'CREATE TABLE IF NOT EXISTS store_change (name VARCHAR(64) PRIMARY KEY, n INTEGER NOT NULL)',
    // The triggers of the single shared counter (before per-patient counters) are replaced.
    'DROP TRIGGER IF EXISTS consent_facts_insert',
    'DROP TRIGGER IF EXISTS consent_facts_update',
    'DROP TRIGGER IF EXISTS consent_facts_delete',
    `CREATE TRIGGER consent_facts_insert AFTER INSERT ON resource WHEN ${when('NEW')} BEGIN ${sqliteBump('NEW')}; END`,
    `CREATE TRIGGER consent_facts_update AFTER UPDATE ON resource WHEN ${when('NEW')} OR ${when('OLD')} BEGIN ${sqliteBump('NEW')}; ${sqliteBump('OLD')}; END`,
    `CREATE TRIGGER consent_facts_delete AFTER DELETE ON resource WHEN ${when('OLD')} BEGIN ${sqliteBump('OLD')}; END`,
  ];
}

export async function migrateChangeStamp(tx: SqlDatabase): Promise<void> {
  for (const stmt of ddl(tx.dialect)) await tx.execute(stmt);
}

/** Called before a transaction writes a resource of `type`: from a fact record on, its stamps are provisional. */
export function noteWrite(db: SqlDatabase, type: string): void {
  if (db.txState && isConsentFactType(type)) db.txState.factsWritten = true;
}

/**
 * The counters. Inside a transaction that has written a fact record they are marked provisional: what it wrote may
 * still roll back, and a cache filled under a stamp that later means something else would serve data that never existed.
 */
export async function readChangeStamp(db: SqlDatabase, patientId?: string): Promise<ChangeStamp | undefined> {
  const patientKey = patientId === undefined ? undefined : `${PatientPrefix}${patientId}`;
  const rows = await db.query<{ name: string; n: number | string }>(
    patientKey === undefined ? 'SELECT name, n FROM store_change WHERE name = ?' : 'SELECT name, n FROM store_change WHERE name IN (?, ?)',
    patientKey === undefined ? [Shared] : [Shared, patientKey],
    SamePlan,
  );
  const n = (name: string | undefined) => String(rows.find((r) => r.name === name)?.n ?? 0);
  const stamp: ChangeStamp = patientKey === undefined ? { shared: n(Shared) } : { shared: n(Shared), patient: n(patientKey) };
  // Before its first fact write a transaction reads the committed counters and the committed records they stand for.
  return db.inTransaction && (db.txState?.factsWritten ?? true) ? { ...stamp, provisional: true } : stamp;
}
