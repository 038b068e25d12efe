// A2, A3: the chain logic over the lean audit table alone (no dependency on the resource store).
import type { AuditEvent } from '@medplum/fhirtypes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyseChain, contentState, createChainHasher, GENESIS_HASH, type ChainRow } from '../../src/audit/audit-chain.js';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { canonicalJson } from '../../src/audit/canonical-json.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';

function event(n: number): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
    action: 'R',
    recorded: new Date(Date.UTC(2026, 10, 26, 10, 0, n)).toISOString(),
    agent: [{ requestor: true, who: { display: `user ${n}` } }],
    source: { observer: { display: 'kanta-gateway' } },
  };
}

describe('audit chain (lean audit table)', () => {
  let db: SqlDatabase;
  const log = createAuditLog();

  beforeEach(async () => {
    db = openSqliteDatabase(':memory:');
    await log.migrate(db);
  });
  afterEach(async () => {
    await db.close();
  });

  async function append(events: AuditEvent[]): Promise<void> {
    await db.transaction((tx) => log.append({ db: tx }, events));
  }

  it('A3: appended events form a chain that verifies, each link hashing the previous hash and the canonical event', async () => {
    await append([event(1), event(2)]);
    await append([event(3)]);
    const result = await log.verify(db);
    expect(result).toMatchObject({ ok: true, checked: 3, problems: [] });
    const rows = await db.query<{ seq: number; prev_hash: string; hash: string; resource_id: string }>('SELECT * FROM audit_chain ORDER BY seq');
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0].prev_hash).toBe(GENESIS_HASH);
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    const [stored] = await db.query<{ content: string }>('SELECT content FROM audit_event WHERE id = ?', [rows[0].resource_id]);
    expect(rows[0].hash).toBe(createChainHasher()(GENESIS_HASH, JSON.parse(stored.content)));
    expect(result.head).toBe(rows[2].hash);
    expect(await log.head(db)).toMatchObject({ seq: 3, hash: rows[2].hash });
  });

  it('A2: append throws when the audit table cannot be written, and nothing of the batch is left behind', async () => {
    await db.execute("CREATE TRIGGER disk_full BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    await expect(append([event(1), event(2)])).rejects.toThrow('disk full');
    expect(await db.query('SELECT * FROM audit_chain')).toEqual([]);
  });

  it('A2: append refuses to run outside a transaction', async () => {
    await expect(log.append({ db }, [event(1)])).rejects.toThrow('must run inside the audit batch transaction');
  });

  it('A2: append refuses anything but AuditEvents', async () => {
    await expect(db.transaction((tx) => log.append({ db: tx }, [{ resourceType: 'Patient' } as unknown as AuditEvent]))).rejects.toThrow('Only AuditEvents can be appended');
  });

  it('A3: the database refuses to update or delete chain rows and AuditEvent rows', async () => {
    await append([event(1)]);
    await expect(db.execute("UPDATE audit_chain SET hash = 'x'")).rejects.toThrow('append-only');
    await expect(db.execute('DELETE FROM audit_chain')).rejects.toThrow('append-only');
    await expect(db.execute("UPDATE audit_event SET content = '{}'")).rejects.toThrow('append-only');
    await expect(db.execute("UPDATE audit_event SET patient = NULL")).rejects.toThrow('append-only');
    await expect(db.execute('DELETE FROM audit_event')).rejects.toThrow('append-only');
  });

  it('migrate is idempotent', async () => {
    await log.migrate(db);
    await log.migrate(db);
    await append([event(1)]);
    expect((await log.verify(db)).ok).toBe(true);
  });

  it('A3: with an HMAC key, a verifier without the key sees every link as altered', async () => {
    const keyed = createAuditLog({ hmacKey: 'k1' });
    await db.transaction((tx) => keyed.append({ db: tx }, [event(1), event(2)]));
    expect((await keyed.verify(db)).ok).toBe(true);
    const unkeyed = await log.verify(db);
    expect(unkeyed.ok).toBe(false);
    expect(unkeyed.problems.map((p) => p.kind)).toEqual(['altered', 'altered']);
  });

  it('A3: a date range checks only the events recorded in it, linked from the row before', async () => {
    await append([event(1), event(2), event(3), event(4)]);
    const from = new Date(Date.UTC(2026, 10, 26, 10, 0, 2)).toISOString();
    const to = new Date(Date.UTC(2026, 10, 26, 10, 0, 4)).toISOString();
    expect(await log.verify(db, { from, to })).toMatchObject({ ok: true, checked: 2 });
    // An altered event inside the range is named; one outside it is not looked at.
    await db.execute('DROP TRIGGER audit_event_no_update');
    const ids = (await db.query<{ resource_id: string }>('SELECT resource_id FROM audit_chain ORDER BY seq')).map((r) => r.resource_id);
    await db.execute(`UPDATE audit_event SET content = replace(content, '"action":"R"', '"action":"D"') WHERE id IN ('${ids[0]}', '${ids[2]}')`);
    const ranged = await log.verify(db, { from, to });
    expect(ranged.problems.map((p) => [p.seq, p.kind])).toEqual([[3, 'altered']]);
  });

  it('A3: cutting events off the tail verifies as intact alone, and is caught by --expect-head', async () => {
    await append([event(1), event(2), event(3)]);
    const kept = await log.head(db);
    await append([event(4)]);
    expect((await log.verify(db, { expectHead: kept.hash })).ok).toBe(true); // the chain grew past the exported head: fine
    for (const t of ['audit_chain_no_delete', 'audit_event_no_delete']) await db.execute(`DROP TRIGGER ${t}`);
    await db.execute('DELETE FROM audit_event WHERE id IN (SELECT resource_id FROM audit_chain WHERE seq >= 3)');
    await db.execute('DELETE FROM audit_chain WHERE seq >= 3');
    expect((await log.verify(db)).ok).toBe(true);
    const checked = await log.verify(db, { expectHead: kept.hash });
    expect(checked.ok).toBe(false);
    expect(checked.problems[0]).toMatchObject({ kind: 'removed', detail: expect.stringContaining('tail was cut off') });
  });

  it('A3: an event whose search columns were blanked (hidden from the citizen) is named as unindexed', async () => {
    const ev = { ...event(1), entity: [{ what: { reference: 'Patient/p1' } }] };
    await append([ev, event(2)]);
    expect((await log.verify(db)).ok).toBe(true);
    await db.execute('DROP TRIGGER audit_event_no_update');
    await db.execute("UPDATE audit_event SET patient = NULL, entity = '' WHERE patient = 'p1'");
    const result = await log.verify(db);
    expect(result.problems.map((p) => [p.seq, p.kind])).toEqual([[1, 'unindexed']]);
  });
});

describe('chain analysis', () => {
  const hash = createChainHasher();
  const events = new Map<string, AuditEvent>();
  function chain(n: number): ChainRow[] {
    const rows: ChainRow[] = [];
    let prev = GENESIS_HASH;
    for (let i = 1; i <= n; i++) {
      const ev = event(i);
      const h = hash(prev, ev);
      rows.push({ seq: i, resourceId: `ae${i}`, prevHash: prev, hash: h, content: 'ok' });
      events.set(`ae${i}`, ev);
      prev = h;
    }
    return rows;
  }

  it('A3: an intact chain has no problems', () => {
    expect(analyseChain(chain(5), [], hash)).toEqual([]);
  });

  it('A3: altered content is named', () => {
    const rows = chain(4);
    rows[1] = { ...rows[1], content: contentState(rows[1], { ...events.get('ae2'), action: 'D' }, hash) };
    expect(analyseChain(rows, [], hash).map((p) => [p.seq, p.resourceId, p.kind])).toEqual([[2, 'ae2', 'altered']]);
  });

  it('A3: a rewritten event whose link hash was recomputed is still caught by its successor', () => {
    const rows = chain(4);
    const forged = { ...events.get('ae2'), action: 'D' };
    rows[1] = { ...rows[1], hash: hash(rows[1].prevHash, forged), content: 'ok' };
    expect(analyseChain(rows, [], hash).map((p) => [p.seq, p.resourceId, p.kind])).toEqual([[2, 'ae2', 'altered']]);
  });

  it('A3: a removed event (row kept) and a removed chain row (event kept) are both named', () => {
    const rows = chain(5);
    rows[1] = { ...rows[1], content: contentState(rows[1], undefined, hash) };
    const orphan = { resourceId: 'ae4', event: events.get('ae4') };
    const withoutRow4 = rows.filter((r) => r.seq !== 4);
    expect(analyseChain(withoutRow4, [orphan], hash).map((p) => [p.seq, p.resourceId, p.kind])).toEqual([
      [2, 'ae2', 'removed'],
      [4, 'ae4', 'removed'],
    ]);
  });

  it('A3: a chain row removed together with its event is named by position', () => {
    const rows = chain(5).filter((r) => r.seq !== 3);
    expect(analyseChain(rows, [], hash).map((p) => [p.seq, p.resourceId, p.kind])).toEqual([[3, null, 'removed']]);
  });

  it('A3: swapped rows are named as reordered, and only those', () => {
    const rows = chain(5);
    const swapped = [rows[0], rows[1], { ...rows[3], seq: 3 }, { ...rows[2], seq: 4 }, rows[4]];
    expect(analyseChain(swapped, [], hash).map((p) => [p.seq, p.resourceId, p.kind])).toEqual([
      [3, 'ae4', 'reordered'],
      [4, 'ae3', 'reordered'],
    ]);
  });

  it('A3: a forged row forking off an existing link, and an event outside the chain, are named as inserted', () => {
    const rows = chain(4);
    const forgedEvent = event(99);
    const forged: ChainRow = { seq: 5, resourceId: 'forged', prevHash: rows[1].hash, hash: hash(rows[1].hash, forgedEvent), content: 'ok' };
    const problems = analyseChain([...rows, forged], [{ resourceId: 'sneaky', event: event(98) }], hash);
    expect(problems.map((p) => [p.seq, p.resourceId, p.kind])).toEqual([
      [5, 'forged', 'inserted'],
      [null, 'sneaky', 'inserted'],
    ]);
  });

  it('canonical JSON sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: undefined }, null], 'é': true })).toBe('{"a":[{"d":"x"},null],"b":1,"é":true}');
  });
});
