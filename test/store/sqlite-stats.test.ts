// SQLite planner statistics: ANALYZE's sqlite_stat4 samples are removed at open, its sqlite_stat1 counts kept. https://www.sqlite.org/fileformat2.html#stat4tab
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function analysedDatabase(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kanta-stats-'));
  dirs.push(dir);
  const file = join(dir, 'db.sqlite');
  const db = openSqliteDatabase(file);
  await db.execute('CREATE TABLE t (k TEXT, v INTEGER)');
  await db.execute('CREATE INDEX t_k ON t (k)');
  await db.transaction(async (tx) => {
    for (let i = 0; i < 200; i++) await tx.execute('INSERT INTO t (k, v) VALUES (?, ?)', [`k${i % 20}`, i]);
  });
  await db.execute('ANALYZE');
  const [samples] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM sqlite_stat4');
  // The premise: this SQLite keeps samples (compiled with SQLITE_ENABLE_STAT4), which is what makes the removal matter.
  expect(samples.n).toBeGreaterThan(0);
  await db.close();
  return file;
}

describe('SQLite planner statistics', () => {
  it('a database opened after ANALYZE keeps its row counts but no value samples', async () => {
    const file = await analysedDatabase();
    const db = openSqliteDatabase(file);
    try {
      expect((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM sqlite_stat4'))[0].n).toBe(0);
      expect((await db.query<{ stat: string }>("SELECT stat FROM sqlite_stat1 WHERE idx = 't_k'"))[0].stat).toBe('200 10');
      // Parameterised statements still answer as before.
      expect(await db.query('SELECT v FROM t WHERE k = ? ORDER BY v LIMIT 2', ['k3'])).toEqual([{ v: 3 }, { v: 23 }]);
    } finally {
      await db.close();
    }
  });

  it('opening does not fail while another process holds the write lock: the samples stay until a later start', async () => {
    const file = await analysedDatabase();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const db = openSqliteDatabase(file);
    try {
      expect((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM sqlite_stat4'))[0].n).toBeGreaterThan(0);
    } finally {
      other.exec('ROLLBACK');
      other.close();
      await db.close();
    }
    const later = openSqliteDatabase(file);
    expect((await later.query<{ n: number }>('SELECT COUNT(*) AS n FROM sqlite_stat4'))[0].n).toBe(0);
    await later.close();
  });
});
