// The append-only, hash-chained AuditEvent log: schema and triggers, fail-closed append, verification (A2, A3). https://hl7.org/fhir/R4/auditevent.html
import { randomFillSync } from 'node:crypto';
import { v7 as timeOrderedUuid } from 'uuid';
import type { AuditEvent } from '@medplum/fhirtypes';
import { SamePlan, type SqlDatabase } from '../store/sql/database.js';
import { IndexTables } from '../store/sql/schema.js';
import { auditColumns, AuditColumnNames, type AuditColumns } from './audit-columns.js';
import { chainTable, dropLinkHashIndex } from './audit-chain-layout.js';
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

/** The transaction the events are appended in (the audit batch). */
export interface AuditTx {
  db: SqlDatabase;
}

export interface VerifyOptions {
  /** Check only chain rows recorded in [from, to) (ISO instants); links are checked from the row before `from`. */
  from?: string;
  to?: string;
  /** A head hash kept outside the database (audit:head): it must still be in the chain, or its tail was cut off or rewritten. */
  expectHead?: string;
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
  /** Stores the events in the audit table and links them into the chain; throws on any failure (the caller answers 503). */
  append(tx: AuditTx, events: AuditEvent[]): Promise<void>;
  verify(db: SqlDatabase, options?: VerifyOptions): Promise<VerifyResult>;
  /** The last link of the chain, to keep outside the database (audit:verify --expect-head checks it later). */
  head(db: SqlDatabase): Promise<{ seq: number; hash: string; recorded?: string }>;
}

const APPEND_ONLY = 'audit records are append-only';

/** The lean audit table: the event JSON plus the typed columns its searches test (src/audit/audit-columns.ts). */
const auditEventTable = (bigint: string): string[] => [
  `CREATE TABLE IF NOT EXISTS audit_event (
    id TEXT PRIMARY KEY,
    seq ${bigint} UNIQUE,
    recorded TEXT NOT NULL,
    recorded_ms ${bigint} NOT NULL,
    patient TEXT,
    agent TEXT NOT NULL,
    entity TEXT NOT NULL,
    type TEXT NOT NULL,
    subtype TEXT NOT NULL,
    action TEXT,
    outcome TEXT,
    content TEXT NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS audit_event_patient ON audit_event (patient, recorded_ms)',
  'CREATE INDEX IF NOT EXISTS audit_event_recorded ON audit_event (recorded_ms)',
];

function sqliteDdl(): string[] {
  const raise = `BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END`;
  return [
    chainTable('audit_chain', 'INTEGER'),
    `CREATE TRIGGER IF NOT EXISTS audit_chain_no_update BEFORE UPDATE ON audit_chain ${raise}`,
    `CREATE TRIGGER IF NOT EXISTS audit_chain_no_delete BEFORE DELETE ON audit_chain ${raise}`,
    ...auditEventTable('INTEGER'),
    `CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event ${raise}`,
    `CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event ${raise}`,
  ];
}

function postgresDdl(): string[] {
  return [
    chainTable('audit_chain', 'BIGINT'),
    `CREATE OR REPLACE FUNCTION audit_chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '${APPEND_ONLY} (%)', TG_TABLE_NAME; END $$`,
    'CREATE OR REPLACE TRIGGER audit_chain_no_change BEFORE UPDATE OR DELETE ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_chain_append_only()',
    'CREATE OR REPLACE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only()',
    ...auditEventTable('BIGINT'),
    'CREATE OR REPLACE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_chain_append_only()',
    'CREATE OR REPLACE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only()',
  ];
}

/** Triggers of the earlier layout, where AuditEvents were generic resources; dropped once those rows have moved. */
const legacyTriggers = (dialect: SqlDatabase['dialect']): string[] =>
  dialect === 'postgres'
    ? ['DROP TRIGGER IF EXISTS audit_resource_no_change ON resource', 'DROP TRIGGER IF EXISTS audit_version_no_change ON resource_version']
    : ['audit_resource_no_update', 'audit_resource_no_delete', 'audit_version_no_update', 'audit_version_no_delete'].map((t) => `DROP TRIGGER IF EXISTS ${t}`);

const MOVE_PAGE = 500;
/** Rows per multi-row INSERT (SQLite allows 32,766 bound parameters). */
const INSERT_CHUNK = 200;

type EventRow = AuditColumns & { seq: number | null; content: string };
const EventColumns = [...AuditColumnNames, 'seq', 'content'] as const;

/** One INSERT of at most INSERT_CHUNK events. */
function eventInsert(chunk: EventRow[]): { sql: string; params: unknown[] } {
  const values = chunk.map(() => `(${EventColumns.map(() => '?').join(', ')})`).join(', ');
  return { sql: `INSERT INTO audit_event (${EventColumns.join(', ')}) VALUES ${values}`, params: chunk.flatMap((r) => EventColumns.map((c) => r[c])) };
}

async function insertEvents(db: SqlDatabase, rows: EventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const { sql, params } = eventInsert(rows.slice(i, i + INSERT_CHUNK));
    await db.execute(sql, params, SamePlan);
  }
}

/** Stores written before the lean audit table kept AuditEvents as generic resources: move them, in place and unchanged. */
async function moveLegacyEvents(tx: SqlDatabase): Promise<void> {
  for (const stmt of legacyTriggers(tx.dialect)) await tx.execute(stmt);
  for (;;) {
    const page = await tx.query<{ rid: number; content: string; seq: number | null }>(
      `SELECT r.rid, r.content, c.seq FROM resource r LEFT JOIN audit_chain c ON c.resource_id = r.id
        WHERE r.resource_type = 'AuditEvent' ORDER BY r.rid LIMIT ${MOVE_PAGE}`,
    );
    if (page.length === 0) return;
    await insertEvents(
      tx,
      page.map((r) => ({ ...auditColumns(JSON.parse(r.content) as AuditEvent), seq: r.seq === null ? null : Number(r.seq), content: r.content })),
    );
    const rids = page.map((r) => Number(r.rid));
    const list = rids.map(() => '?').join(', ');
    for (const table of IndexTables) await tx.execute(`DELETE FROM ${table} WHERE rid IN (${list})`, rids);
    await tx.execute(`DELETE FROM resource_version WHERE rid IN (${list})`, rids);
    await tx.execute(`DELETE FROM resource WHERE rid IN (${list})`, rids);
  }
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

/**
 * UUIDv7 ids (RFC 9562 section 5.7), monotonic within a millisecond as the uuid package keeps them (a 31-bit counter
 * seeded at random each millisecond), from a pool of random bytes: the package's own source asks the platform for
 * 16 bytes per id, a call measured at ~1.5% of a read request's CPU.
 */
export function timeOrderedIds(): () => string {
  const pool = Buffer.alloc(16 * 256);
  let at = pool.length;
  let msecs = -Infinity;
  let seq = 0;
  return () => {
    if (at === pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    const random = pool.subarray(at, (at += 16));
    const now = Date.now();
    if (now > msecs) {
      msecs = now;
      seq = ((random[6] & 0x7f) << 24) | (random[7] << 16) | (random[8] << 8) | random[9];
    } else {
      seq = (seq + 1) | 0;
      if (seq === 0) msecs++;
    }
    return timeOrderedUuid({ random, msecs, seq });
  };
}

export function createAuditLog(opts: AuditLogOptions = {}): AuditLog {
  const hash = createChainHasher(opts.hmacKey);
  const nextId = timeOrderedIds();

  async function migrate(db: SqlDatabase): Promise<void> {
    await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK_KEY})`);
      await dropLinkHashIndex(tx);
      for (const stmt of tx.dialect === 'postgres' ? postgresDdl() : sqliteDdl()) await tx.execute(stmt);
      if (await storeTablesExist(tx)) await moveLegacyEvents(tx);
    });
  }

  async function append({ db }: AuditTx, events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Outside a transaction the event and its chain row could commit apart, and the lock would not hold.
    if (!db.inTransaction) throw new Error('AuditLog.append must run inside the audit batch transaction');
    // Held from here to the batch's commit only: the chain head is read and advanced once per batch.
    // Keyed by schema as well: each schema holds its own chain, so gateways on other schemas of the database never wait.
    // On PostgreSQL both statements go in one message, each with its own snapshot (READ COMMITTED), so the head is read
    // after the lock is granted and sees every batch committed before; a single statement would read a snapshot taken
    // before its lock wait.
    const head = 'SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1';
    const [last] =
      db.dialect === 'postgres'
        ? await db.query<{ seq: number; hash: string }>(`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY}, hashtext(current_schema())); ${head}`)
        : await db.query<{ seq: number; hash: string }>(head, [], SamePlan);
    let prevHash = last?.hash ?? GENESIS_HASH;
    let seq = last ? Number(last.seq) : 0;
    const rows: Array<AuditColumns & { seq: number; content: string }> = [];
    const links: unknown[][] = [];
    // Time-ordered ids (UUIDv7): the id and chain indexes then grow at their right edge, so a batch dirties a few pages
    // instead of one random page per event and index; each dirty page is a WAL write at commit.
    for (const event of events) {
      if (event.resourceType !== 'AuditEvent') throw new Error(`Only AuditEvents can be appended, got ${String(event.resourceType)}`);
      const recorded = event.recorded ?? new Date().toISOString();
      const stored: AuditEvent = { ...event, id: event.id ?? nextId(), recorded, meta: { ...event.meta, versionId: '1', lastUpdated: recorded } };
      const content = JSON.stringify(stored);
      // Verify hashes the stored JSON parsed back; canonical JSON of the event is the same text (canonical-json.test.ts).
      const linkHash = hash(prevHash, stored);
      seq += 1;
      rows.push({ ...auditColumns(stored), seq, content });
      links.push([seq, stored.id, recorded, prevHash, linkHash]);
      prevHash = linkHash;
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const events = eventInsert(rows.slice(i, i + INSERT_CHUNK));
      const chunk = links.slice(i, i + INSERT_CHUNK);
      const chain = { sql: `INSERT INTO audit_chain (seq, resource_id, recorded, prev_hash, hash) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, params: chunk.flat() };
      // PostgreSQL takes both inserts as one statement (a data-modifying WITH runs once, unreferenced): one round trip.
      if (db.dialect === 'postgres') await db.execute(`WITH e AS (${events.sql}) ${chain.sql}`, [...events.params, ...chain.params], SamePlan);
      else {
        await db.execute(events.sql, events.params, SamePlan);
        await db.execute(chain.sql, chain.params, SamePlan);
      }
    }
  }

  const parseEvent = (content: unknown): unknown => {
    try {
      return parseContent(content);
    } catch {
      // Unparseable content cannot match any hash; keep it so it is reported as altered.
      return { unparseable: String(content) };
    }
  };

  /** Whether the stored search columns say what the event says (else a search, e.g. the citizen's log, would miss it). */
  function indexed(row: Record<string, unknown>, event: unknown): boolean {
    if (!event || typeof event !== 'object' || (event as AuditEvent).resourceType !== 'AuditEvent') return true; // reported as altered
    const expected = auditColumns(event as AuditEvent);
    return AuditColumnNames.every((c) => (c === 'recorded_ms' ? Number(row[c]) === expected[c] : (row[c] ?? null) === expected[c]));
  }

  async function verify(db: SqlDatabase, options: VerifyOptions = {}): Promise<VerifyResult> {
    const range: string[] = [];
    const rangeParams: string[] = [];
    if (options.from) {
      range.push('c.recorded >= ?');
      rangeParams.push(options.from);
    }
    if (options.to) {
      range.push('c.recorded < ?');
      rangeParams.push(options.to);
    }
    const inRange = range.length ? ` AND ${range.join(' AND ')}` : '';
    const page = (after: number) =>
      db.query<Record<string, unknown> & { seq: number; resource_id: string; prev_hash: string; hash: string; content: unknown }>(
        `SELECT c.seq, c.resource_id, c.prev_hash, c.hash, e.content, ${AuditColumnNames.map((n) => `e.${n}`).join(', ')}
           FROM audit_chain c LEFT JOIN audit_event e ON e.id = c.resource_id
          WHERE c.seq > ?${inRange} ORDER BY c.seq LIMIT ${VERIFY_PAGE}`,
        [after, ...rangeParams],
      );

    // Pass 1 streams the chain in bounded memory; only a chain that is not intact is analysed in full to name its problems.
    let start: string | undefined;
    let expectedPrev = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    let head = GENESIS_HASH;
    let intact = true;
    let sawExpectedHead = false;
    const unindexed: ChainProblem[] = [];
    for (let after = -1; ; ) {
      const rows = await page(after);
      for (const r of rows) {
        const seq = Number(r.seq);
        if (start === undefined) {
          const [before] = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain WHERE seq < ? ORDER BY seq DESC LIMIT 1', [seq]);
          start = before?.hash ?? GENESIS_HASH;
          expectedPrev = start;
          expectedSeq = before ? Number(before.seq) + 1 : 1;
        }
        const event = r.content === null || r.content === undefined ? undefined : parseEvent(r.content);
        const link = { seq, resourceId: r.resource_id, prevHash: r.prev_hash, hash: r.hash };
        const state = contentState(link, event, hash);
        if (seq !== expectedSeq || r.prev_hash !== expectedPrev || state !== 'ok') intact = false;
        // Columns of altered content are reported as the alteration itself.
        if (state === 'ok' && !indexed(r, event)) {
          unindexed.push({ seq, resourceId: r.resource_id, kind: 'unindexed', detail: 'Search columns do not match the event: searches (the citizen\'s log) would not find it' });
        }
        if (r.hash === options.expectHead) sawExpectedHead = true;
        expectedPrev = r.hash;
        expectedSeq = seq + 1;
        head = r.hash;
        checked++;
      }
      if (rows.length < VERIFY_PAGE) break;
      after = Number(rows[rows.length - 1].seq);
    }
    const orphanRange = [options.from ? 'e.recorded >= ?' : '', options.to ? 'e.recorded < ?' : ''].filter(Boolean);
    const orphanSql = `FROM audit_event e WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.resource_id = e.id)${orphanRange.map((r) => ` AND ${r}`).join('')}`;
    const [{ n: orphanCount }] = await db.query<{ n: number | string }>(`SELECT COUNT(*) AS n ${orphanSql}`, rangeParams);
    if (Number(orphanCount) > 0) intact = false;

    let problems: ChainProblem[] = [];
    if (!intact) {
      const rows: ChainRow[] = [];
      for (let after = -1; ; ) {
        const got = await page(after);
        for (const r of got) {
          const link = { seq: Number(r.seq), resourceId: r.resource_id, prevHash: r.prev_hash, hash: r.hash };
          rows.push({ ...link, content: contentState(link, r.content === null || r.content === undefined ? undefined : parseEvent(r.content), hash) });
        }
        if (got.length < VERIFY_PAGE) break;
        after = Number(got[got.length - 1].seq);
      }
      const orphanRows = await db.query<{ id: string; content: unknown }>(`SELECT e.id, e.content ${orphanSql}`, rangeParams);
      const orphans: OrphanEvent[] = orphanRows.map((o) => ({ resourceId: o.id, event: parseEvent(o.content) }));
      problems = analyseChain(rows, orphans, hash, start ?? GENESIS_HASH);
    }
    problems.push(...unindexed);
    if (options.expectHead && !sawExpectedHead) {
      // Outside the checked range: no index on hash (audit-chain-layout.ts), so one scan of the chain.
      const [found] = await db.query<{ seq: number }>('SELECT seq FROM audit_chain WHERE hash = ?', [options.expectHead]);
      if (!found) {
        problems.push({ seq: null, resourceId: null, kind: 'removed', detail: `The expected head ${options.expectHead} is not in the chain: its tail was cut off or rewritten` });
      }
    }
    problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
    return { ok: problems.length === 0, checked, problems, head };
  }

  async function head(db: SqlDatabase): Promise<{ seq: number; hash: string; recorded?: string }> {
    const [last] = await db.query<{ seq: number; hash: string; recorded: string }>('SELECT seq, hash, recorded FROM audit_chain ORDER BY seq DESC LIMIT 1');
    return last ? { seq: Number(last.seq), hash: last.hash, recorded: last.recorded } : { seq: 0, hash: GENESIS_HASH };
  }

  return { migrate, append, verify, head };
}
