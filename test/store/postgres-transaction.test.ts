// PostgreSQL transactions send BEGIN with their first statement when it has no parameters, and stay atomic (src/store/postgres/postgres-database.ts).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { openPostgresDatabase } from '../../src/store/postgres/postgres-database.js';
import { postgresUrlOrSkip } from '../support/backends.js';

/** Only the database DATABASE_URL names, never a fallback; without it the suite is skipped and says so. */
const BASE = postgresUrlOrSkip('PostgreSQL transactions');

describe.skipIf(!BASE)(`PostgreSQL transactions${BASE ? '' : ' (skipped: DATABASE_URL is not set)'}`, () => {
  let db: SqlDatabase;
  const table = `tx_begin_${randomUUID().replaceAll('-', '')}`;
  beforeAll(async () => {
    db = openPostgresDatabase(BASE!, { max: 2 });
    await db.execute(`CREATE TABLE ${table} (v INTEGER)`);
  });
  afterAll(async () => {
    await db.execute(`DROP TABLE IF EXISTS ${table}`);
    await db.close();
  });
  afterEach(() => vi.restoreAllMocks());

  /** The texts the pool's clients send, one per message (round trip). */
  function messages(): string[] {
    const sent: string[] = [];
    const query = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text: string };
      sent.push(typeof first === 'string' ? first : first.text);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    return sent;
  }
  const count = async () => Number((await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0].n);

  it('a first statement without parameters carries BEGIN in its own message, answers its last statement, and the transaction still rolls back whole', async () => {
    const before = await count();
    const sent = messages();
    await expect(
      db.transaction(async (tx) => {
        expect(await tx.query<{ v: number }>('SELECT pg_advisory_xact_lock(4242); SELECT 7 AS v')).toEqual([{ v: 7 }]);
        await tx.execute(`INSERT INTO ${table} (v) VALUES (?)`, [1]);
        throw new Error('stop here');
      }),
    ).rejects.toThrow('stop here');
    expect(sent[0]).toBe('BEGIN; SELECT pg_advisory_xact_lock(4242); SELECT 7 AS v');
    expect(sent.filter((t) => /^\s*BEGIN\s*$/i.test(t))).toEqual([]);
    expect(sent.at(-1)).toBe('ROLLBACK');
    vi.restoreAllMocks();
    expect(await count()).toBe(before);
  });

  it('a first statement with parameters is preceded by BEGIN on its own; a commit keeps its work', async () => {
    const before = await count();
    const sent = messages();
    await db.transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${table} (v) VALUES (?)`, [2]);
    });
    expect(sent.slice(0, 2)).toEqual(['BEGIN', `INSERT INTO ${table} (v) VALUES ($1)`]);
    expect(sent.at(-1)).toBe('COMMIT');
    vi.restoreAllMocks();
    expect(await count()).toBe(before + 1);
  });

  it('a transaction that runs no statement sends nothing, and its connection goes back usable', async () => {
    const sent = messages();
    expect(await db.transaction(async () => 'nothing')).toBe('nothing');
    expect(sent).toEqual([]);
    vi.restoreAllMocks();
    expect(await db.transaction(async (tx) => tx.query<{ one: number }>('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
  });

  it('the lock taken by a first statement is held until the commit (it was taken inside the transaction)', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const taken = new Promise<void>((r) => (locked = r));
    const holder = db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(4243)');
      locked();
      await held;
    });
    await taken;
    const probe = new pg.Client({ connectionString: BASE! });
    await probe.connect();
    try {
      expect((await probe.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock(4243) AS got')).rows[0].got).toBe(false);
      release();
      await holder;
      expect((await probe.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock(4243) AS got')).rows[0].got).toBe(true);
    } finally {
      await probe.end();
    }
  });

  it('a nested transaction first: BEGIN rides with its SAVEPOINT; the inner failure rolls back alone, the outer work commits', async () => {
    const before = await count();
    const sent = messages();
    await db.transaction(async (tx) => {
      await expect(
        tx.transaction(async (inner) => {
          await inner.execute(`INSERT INTO ${table} (v) VALUES (?)`, [3]);
          throw new Error('inner only');
        }),
      ).rejects.toThrow('inner only');
      await tx.execute(`INSERT INTO ${table} (v) VALUES (?)`, [4]);
    });
    expect(sent[0]).toMatch(/^BEGIN; SAVEPOINT \w+$/);
    vi.restoreAllMocks();
    expect(await count()).toBe(before + 1);
    expect(await db.query<{ v: number }>(`SELECT v FROM ${table} WHERE v IN (3, 4)`)).toEqual([{ v: 4 }]);
  });
});
