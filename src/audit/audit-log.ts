// The append-only, hash-chained AuditEvent log: schema and triggers, fail-closed append, verification (A2, A3). https://hl7.org/fhir/R4/auditevent.html
import type { AuditEvent } from '@medplum/fhirtypes';
import type { ResourceStore } from '../store/resource-store.js';
import type { SqlDatabase } from '../store/sql/database.js';
import { analyseChain, contentState, createChainHasher, GENESIS_HASH, type ChainProblem, type ChainRow, type OrphanEvent } from './audit-chain.js';

/** Advisory lock key serialising chain appends across gateway processes on PostgreSQL ("AUDI"). */
const CHAIN_LOCK_KEY = 1096107081;
/** Advisory lock key for migrate, so concurrent starts do not race on DROP/CREATE TRIGGER. */
const MIGRATE_LOCK_KEY = 1096107082;
const VERIFY_PAGE = 1000;

export interface AuditLogOptions {
  /** Optional HMAC key for the chain (AUDIT_HMAC_KEY); the same key must be given to verify. */
  hmacKey?: string;
}

/** The transaction the pipeline runs the handler in: the SQL connection and the store bound to it. */
export interface AuditTx {
  db: SqlDatabase;
  store: ResourceStore;
}

export interface VerifyResult {
  ok: boolean;
  /** Chain rows checked. */
  checked: number;
  problems: ChainProblem[];
  /** Hash of the last link: keep it outside the database to detect a truncated tail later. */
  head: string;
}

export interface AuditLog {
  migrate(db: SqlDatabase): Promise<void>;
  /** Stores each event through `store.create` and links it into the chain; throws on any failure (the caller answers 503). */
  append(tx: AuditTx, events: AuditEvent[]): Promise<void>;
  verify(db: SqlDatabase): Promise<VerifyResult>;
}

const APPEND_ONLY = 'audit records are append-only';

function sqliteDdl(hasStore: boolean): string[] {
  const raise = `BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END`;
  const ddl = [
    `CREATE TABLE IF NOT EXISTS audit_chain (
      seq INTEGER PRIMARY KEY,
      resource_id TEXT NOT NULL UNIQUE,
      recorded TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE
    )`,
    `CREATE TRIGGER IF NOT EXISTS audit_chain_no_update BEFORE UPDATE ON audit_chain ${raise}`,
    `CREATE TRIGGER IF NOT EXISTS audit_chain_no_delete BEFORE DELETE ON audit_chain ${raise}`,
  ];
  if (hasStore) {
    const isAudit = (alias: string): string => `(SELECT resource_type FROM resource WHERE rid = ${alias}.rid) = 'AuditEvent'`;
    ddl.push(
      `CREATE TRIGGER IF NOT EXISTS audit_resource_no_update BEFORE UPDATE ON resource WHEN OLD.resource_type = 'AuditEvent' OR NEW.resource_type = 'AuditEvent' ${raise}`,
      `CREATE TRIGGER IF NOT EXISTS audit_resource_no_delete BEFORE DELETE ON resource WHEN OLD.resource_type = 'AuditEvent' ${raise}`,
      `CREATE TRIGGER IF NOT EXISTS audit_version_no_update BEFORE UPDATE ON resource_version WHEN ${isAudit('OLD')} ${raise}`,
      `CREATE TRIGGER IF NOT EXISTS audit_version_no_delete BEFORE DELETE ON resource_version WHEN ${isAudit('OLD')} ${raise}`,
    );
  }
  return ddl;
}

function postgresDdl(hasStore: boolean): string[] {
  const ddl = [
    `CREATE TABLE IF NOT EXISTS audit_chain (
      seq BIGINT PRIMARY KEY,
      resource_id TEXT NOT NULL UNIQUE,
      recorded TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE
    )`,
    `CREATE OR REPLACE FUNCTION audit_chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '${APPEND_ONLY} (%)', TG_TABLE_NAME; END $$`,
    'CREATE OR REPLACE TRIGGER audit_chain_no_change BEFORE UPDATE OR DELETE ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_chain_append_only()',
    'CREATE OR REPLACE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only()',
  ];
  if (hasStore) {
    ddl.push(
      `CREATE OR REPLACE FUNCTION audit_resource_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.resource_type = 'AuditEvent' OR (TG_OP = 'UPDATE' AND NEW.resource_type = 'AuditEvent') THEN
            RAISE EXCEPTION '${APPEND_ONLY} (%)', TG_TABLE_NAME;
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$`,
      `CREATE OR REPLACE FUNCTION audit_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM resource WHERE rid = OLD.rid AND resource_type = 'AuditEvent') THEN
            RAISE EXCEPTION '${APPEND_ONLY} (%)', TG_TABLE_NAME;
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$`,
      'CREATE OR REPLACE TRIGGER audit_resource_no_change BEFORE UPDATE OR DELETE ON resource FOR EACH ROW EXECUTE FUNCTION audit_resource_append_only()',
      'CREATE OR REPLACE TRIGGER audit_version_no_change BEFORE UPDATE OR DELETE ON resource_version FOR EACH ROW EXECUTE FUNCTION audit_version_append_only()',
    );
  }
  return ddl;
}

async function storeTablesExist(db: SqlDatabase): Promise<boolean> {
  if (db.dialect === 'postgres') {
    const [row] = await db.query<{ r: string | null; v: string | null }>("SELECT to_regclass('resource')::text AS r, to_regclass('resource_version')::text AS v");
    return !!row?.r && !!row?.v;
  }
  const rows = await db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('resource', 'resource_version')");
  return rows.length === 2;
}

/** The store keeps content as JSON text; a driver may hand back parsed JSON. */
function parseContent(content: unknown): unknown {
  return typeof content === 'string' ? JSON.parse(content) : content;
}

export function createAuditLog(opts: AuditLogOptions = {}): AuditLog {
  const hash = createChainHasher(opts.hmacKey);

  async function migrate(db: SqlDatabase): Promise<void> {
    await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK_KEY})`);
      const hasStore = await storeTablesExist(tx);
      for (const stmt of tx.dialect === 'postgres' ? postgresDdl(hasStore) : sqliteDdl(hasStore)) await tx.execute(stmt);
    });
  }

  async function append({ db, store }: AuditTx, events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Outside a transaction the event and its chain row could commit apart, and the lock would not hold.
    if (!db.inTransaction) throw new Error('AuditLog.append must run inside the request transaction');
    if (db.dialect === 'postgres') await db.query(`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`);
    const [last] = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1');
    let prevHash = last?.hash ?? GENESIS_HASH;
    let seq = last ? Number(last.seq) : 0;
    for (const event of events) {
      if (event.resourceType !== 'AuditEvent') throw new Error(`Only AuditEvents can be appended, got ${String(event.resourceType)}`);
      const stored = await store.create(event);
      if (!stored.id) throw new Error('The store returned an AuditEvent without id');
      // Hash what the database holds, exactly as verify will read it back.
      const [row] = await db.query<{ content: unknown }>('SELECT content FROM resource WHERE resource_type = ? AND id = ?', ['AuditEvent', stored.id]);
      if (!row) throw new Error(`AuditEvent/${stored.id} is not visible in the append transaction`);
      const linkHash = hash(prevHash, parseContent(row.content));
      seq += 1;
      await db.execute('INSERT INTO audit_chain (seq, resource_id, recorded, prev_hash, hash) VALUES (?, ?, ?, ?, ?)', [
        seq,
        stored.id,
        stored.recorded ?? new Date().toISOString(),
        prevHash,
        linkHash,
      ]);
      prevHash = linkHash;
    }
  }

  async function verify(db: SqlDatabase): Promise<VerifyResult> {
    const rows: ChainRow[] = [];
    let after = -1;
    for (;;) {
      const page = await db.query<{ seq: number; resource_id: string; prev_hash: string; hash: string; content: unknown }>(
        `SELECT c.seq, c.resource_id, c.prev_hash, c.hash, r.content
           FROM audit_chain c LEFT JOIN resource r ON r.resource_type = 'AuditEvent' AND r.id = c.resource_id
          WHERE c.seq > ? ORDER BY c.seq LIMIT ${VERIFY_PAGE}`,
        [after],
      );
      for (const r of page) {
        let event: unknown;
        try {
          event = r.content === null || r.content === undefined ? undefined : parseContent(r.content);
        } catch {
          // Unparseable content cannot match any hash; keep it so it is reported as altered.
          event = { unparseable: String(r.content) };
        }
        const link = { seq: Number(r.seq), resourceId: r.resource_id, prevHash: r.prev_hash, hash: r.hash };
        rows.push({ ...link, content: contentState(link, event, hash) });
      }
      if (page.length < VERIFY_PAGE) break;
      after = Number(page[page.length - 1].seq);
    }
    const orphanRows = await db.query<{ id: string; content: unknown }>(
      `SELECT r.id, r.content FROM resource r
        WHERE r.resource_type = 'AuditEvent' AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.resource_id = r.id)`,
    );
    const orphans: OrphanEvent[] = orphanRows.map((o) => {
      let event: unknown;
      try {
        event = parseContent(o.content);
      } catch {
        event = { unparseable: String(o.content) };
      }
      return { resourceId: o.id, event };
    });
    const problems = analyseChain(rows, orphans, hash);
    return { ok: problems.length === 0, checked: rows.length, problems, head: rows.at(-1)?.hash ?? GENESIS_HASH };
  }

  return { migrate, append, verify };
}
