// PostgreSQL statements marked samePlan and run often are prepared once per connection under a name from their text, bounded per connection (src/store/postgres/postgres-database.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamePlan, type SqlDatabase } from '../../src/store/sql/database.js';
import { openPostgresDatabase } from '../../src/store/postgres/postgres-database.js';
import { postgresUrlOrSkip } from '../support/backends.js';

/** Only the database DATABASE_URL names, never a fallback; without it the suite is skipped and says so. */
const BASE = postgresUrlOrSkip('named statements on PostgreSQL');

describe.skipIf(!BASE)(`named statements on PostgreSQL${BASE ? '' : ' (skipped: DATABASE_URL is not set)'}`, () => {
  let db: SqlDatabase;
  beforeAll(() => {
    db = openPostgresDatabase(BASE!, { max: 2 });
  });
  afterAll(async () => {
    await db.close();
  });

  const prepared = (tx: SqlDatabase) => tx.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements ORDER BY name');

  it('a text run a few times on one connection is prepared there once, under a name from its text, and answers as before', async () => {
    await db.transaction(async (tx) => {
      const answers: unknown[] = [];
      for (let i = 0; i < 5; i++) answers.push(await tx.query<{ n: number; s: string }>('SELECT ?::int * 2 AS n, ?::text AS s', [i, `v${i}`], SamePlan));
      expect(answers).toEqual([0, 1, 2, 3, 4].map((i) => [{ n: i * 2, s: `v${i}` }]));
      const mine = (await prepared(tx)).filter((p) => p.statement === 'SELECT $1::int * 2 AS n, $2::text AS s');
      expect(mine).toHaveLength(1);
      expect(mine[0].name).toMatch(/^k[0-9a-f]{24}$/);
    });
  });

  it('a text run once or twice, and a text not marked samePlan (a search), are not prepared', async () => {
    await db.transaction(async (tx) => {
      await tx.query('SELECT ?::int + 1 AS once', [1], SamePlan);
      await tx.query('SELECT ?::int + 2 AS twice', [1], SamePlan);
      await tx.query('SELECT ?::int + 2 AS twice', [2], SamePlan);
      for (let i = 0; i < 4; i++) await tx.query('SELECT ?::int + 3 AS unmarked', [i]);
      for (let i = 0; i < 4; i++) await db.query('SELECT ?::int + 4 AS on_the_pool', [i], SamePlan);
      const texts = (await prepared(tx)).map((p) => p.statement);
      expect(texts.filter((t) => /once|twice|unmarked|on_the_pool/.test(t))).toEqual([]);
    });
  });

  it('one connection prepares at most 200 texts; the rest still run, unnamed', async () => {
    await db.transaction(async (tx) => {
      for (let k = 0; k < 230; k++) {
        for (let i = 0; i < 3; i++) expect(await tx.query<{ v: number }>(`SELECT ?::int + ${k} AS v`, [i], SamePlan)).toEqual([{ v: i + k }]);
      }
      const counted = (await prepared(tx)).filter((p) => /^SELECT \$1::int \+ \d+ AS v$/.test(p.statement));
      expect(counted.length).toBeGreaterThan(0);
      expect((await prepared(tx)).length).toBe(200);
    });
  });

  it('PG_NAMED_STATEMENTS=0 (namedStatements: 0) prepares none', async () => {
    const none = openPostgresDatabase(BASE!, { max: 1, namedStatements: 0 });
    try {
      await none.transaction(async (tx) => {
        for (let i = 0; i < 5; i++) await tx.query('SELECT ?::int * 3 AS never_named', [i], SamePlan);
        expect((await prepared(tx)).filter((p) => p.statement.includes('never_named'))).toEqual([]);
      });
    } finally {
      await none.close();
    }
  });

  it('a prepared text keeps working after its table is dropped and created again with the same columns', async () => {
    const table = `named_stmt_${process.pid}`;
    try {
      await db.execute(`CREATE TABLE ${table} (id INT PRIMARY KEY, v TEXT)`);
      await db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [1, 'a']);
        for (let i = 0; i < 4; i++) expect(await tx.query(`SELECT v FROM ${table} WHERE id = ?`, [1], SamePlan)).toEqual([{ v: 'a' }]);
        await tx.execute(`DROP TABLE ${table}`);
        await tx.execute(`CREATE TABLE ${table} (id INT PRIMARY KEY, v TEXT)`);
        await tx.execute(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [1, 'b']);
        expect(await tx.query(`SELECT v FROM ${table} WHERE id = ?`, [1], SamePlan)).toEqual([{ v: 'b' }]);
      });
    } finally {
      await db.execute(`DROP TABLE IF EXISTS ${table}`);
    }
  });
});
