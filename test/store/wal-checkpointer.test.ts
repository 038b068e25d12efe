// The background WAL checkpointer: committed pages reach the database file without a request's COMMIT copying them. https://www.sqlite.org/wal.html#ckpt
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes ~2 MB (500 pages): far below both automatic thresholds, so only a background checkpoint copies it. */
async function writeRows(db: SqlDatabase): Promise<void> {
  await db.execute('CREATE TABLE filler (v TEXT)');
  for (let i = 0; i < 20; i++) {
    await db.transaction(async (tx) => {
      for (let j = 0; j < 25; j++) await tx.execute('INSERT INTO filler (v) VALUES (?)', ['x'.repeat(4000)]);
    });
  }
}

/** Polls the database file's size until it passes `bytes` or the attempts run out (no timing is asserted). */
async function fileGrowsPast(file: string, bytes: number, attempts: number): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (statSync(file).size > bytes) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return statSync(file).size > bytes;
}

describe('background WAL checkpoints (SQLite)', () => {
  it('copies committed pages into the database file while the connection stays open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanta-wal-'));
    dirs.push(dir);
    const file = join(dir, 'db.sqlite');
    const db = openSqliteDatabase(file, { backgroundCheckpoints: true });
    try {
      await writeRows(db);
      expect(await fileGrowsPast(file, 1_000_000, 200)).toBe(true);
      expect((await db.query<{ n: number }>('SELECT count(*) AS n FROM filler'))[0].n).toBe(500);
    } finally {
      await db.close();
    }
  });

  it('without it, the same pages stay in the log until a threshold or close (the test above can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanta-wal-'));
    dirs.push(dir);
    const file = join(dir, 'db.sqlite');
    const db = openSqliteDatabase(file);
    try {
      await writeRows(db);
      expect(await fileGrowsPast(file, 1_000_000, 10)).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('close stops the thread and leaves a database another connection reads in full', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanta-wal-'));
    dirs.push(dir);
    const file = join(dir, 'db.sqlite');
    const db = openSqliteDatabase(file, { backgroundCheckpoints: true });
    await writeRows(db);
    await db.close();
    const again = openSqliteDatabase(file);
    try {
      expect((await again.query<{ n: number }>('SELECT count(*) AS n FROM filler'))[0].n).toBe(500);
    } finally {
      await again.close();
    }
  });
});
