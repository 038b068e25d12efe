// Runs the ResourceStore behaviour suite on SQLite in a temporary file. https://www.sqlite.org/
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';
import { resourceStoreSuite } from './resource-store.suite.js';

resourceStoreSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kanta-store-'));
  const db = openSqliteDatabase(join(dir, 'test.db'));
  return {
    db,
    async cleanup() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
