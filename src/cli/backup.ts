// `npm run backup -- FILE`: an online, consistent copy of the SQLite store (SQLite's backup API via better-sqlite3) while the gateway runs. https://www.sqlite.org/backup.html
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';

export interface BackupEnv {
  DATABASE_URL?: string;
  DATA_DIR?: string;
}

/** Exit codes: 0 written, 2 could not (nothing written). */
export async function runBackup(env: BackupEnv, args: string[], print: (line: string) => void = console.log): Promise<number> {
  const target = args.find((a) => !a.startsWith('-'));
  if (!target) {
    print('usage: npm run backup -- FILE   (copies $DATA_DIR/gateway.db online; the gateway may keep running)');
    return 2;
  }
  if (env.DATABASE_URL) {
    print('backup: DATABASE_URL names PostgreSQL; back it up with pg_dump or continuous archiving (see the README, "Operating it")');
    return 2;
  }
  const source = resolve(join(env.DATA_DIR ?? './data', 'gateway.db'));
  const dest = resolve(target);
  if (!existsSync(source)) {
    print(`backup: no database at ${source} (set DATA_DIR)`);
    return 2;
  }
  if (existsSync(dest)) {
    print(`backup: ${dest} exists; a backup never overwrites a file`);
    return 2;
  }
  // The backup API copies pages in steps and restarts a step a concurrent write touched, so the copy is one
  // committed state of the database (WAL contents included) without stopping the gateway's writers.
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const { totalPages } = await db.backup(dest);
    const copy = new Database(dest, { readonly: true });
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check of the copy failed: ${String(check)}`);
    } finally {
      copy.close();
    }
    print(`Backed up ${source} to ${dest} (${totalPages} pages); check it with DATA_DIR=<its directory> npm run audit:verify (the file must be named gateway.db there)`);
    return 0;
  } catch (err) {
    print(`backup: ${(err as Error).message}`);
    return 2;
  } finally {
    db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runBackup(process.env, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
