// Per-run import checkpoints, saved in each batch's own transaction so a resumed run neither loses nor repeats a batch. https://hl7.org/fhir/R4/http.html#transaction
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { SqlDatabase } from '../store/sql/database.js';
import type { ImportTotals, RunPosition } from './import-run.js';

export interface Checkpoint {
  runId: string;
  position: RunPosition;
  totals: ImportTotals;
  finished: boolean;
}

/** A run is the same files (path, size, modification time) with the same batch size: only then do positions match. */
export function runIdOf(files: string[], batchSize: number): string {
  const h = createHash('sha256').update(`batch:${batchSize}`);
  for (const f of files) {
    const st = statSync(f);
    h.update(`\u0000${f}\u0000${st.size}\u0000${st.mtimeMs}`);
  }
  return h.digest('hex');
}

export async function migrateCheckpoints(db: SqlDatabase): Promise<void> {
  await db.execute(
    'CREATE TABLE IF NOT EXISTS import_checkpoint (run_id VARCHAR(64) PRIMARY KEY, position TEXT NOT NULL, totals TEXT NOT NULL, finished INTEGER NOT NULL DEFAULT 0, updated_at VARCHAR(40) NOT NULL)',
  );
}

export async function loadCheckpoint(db: SqlDatabase, runId: string): Promise<Checkpoint | undefined> {
  const [row] = await db.query<{ position: string; totals: string; finished: number }>('SELECT position, totals, finished FROM import_checkpoint WHERE run_id = ?', [runId]);
  return row ? { runId, position: JSON.parse(row.position), totals: JSON.parse(row.totals), finished: Number(row.finished) === 1 } : undefined;
}

/** Called inside the batch's transaction. */
export async function saveCheckpoint(tx: SqlDatabase, runId: string, position: RunPosition, totals: ImportTotals, finished = false): Promise<void> {
  await tx.execute(
    'INSERT INTO import_checkpoint (run_id, position, totals, finished, updated_at) VALUES (?, ?, ?, ?, ?) ' +
      'ON CONFLICT (run_id) DO UPDATE SET position = excluded.position, totals = excluded.totals, finished = excluded.finished, updated_at = excluded.updated_at',
    [runId, JSON.stringify(position), JSON.stringify(totals), finished ? 1 : 0, new Date().toISOString()],
  );
}

export async function finishCheckpoint(db: SqlDatabase, runId: string, totals: ImportTotals): Promise<void> {
  await db.execute('UPDATE import_checkpoint SET finished = 1, totals = ?, updated_at = ? WHERE run_id = ?', [JSON.stringify(totals), new Date().toISOString(), runId]);
}
