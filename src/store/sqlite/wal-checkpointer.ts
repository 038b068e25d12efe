// A background thread that copies the SQLite write-ahead log into the database file, off the request thread. https://www.sqlite.org/wal.html#ckpt
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite runs an automatic checkpoint inside the COMMIT that crosses `wal_autocheckpoint` pages: that request's
 * thread copies the whole log into the database file and fsyncs it (measured: up to 1.1 s for 10,000 pages, one
 * stall per ~1,400 audit batches, and every response queued behind it waits). Here a thread with its own connection
 * runs PASSIVE checkpoints, which never wait for or block readers and writers, so the log is copied while requests
 * go on and the writer restarts it from the beginning once it is fully copied. The request connections keep a far
 * higher automatic threshold only as a backstop, should this thread fall behind or stop.
 */
export const BackstopAutocheckpointPages = 100_000;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

/** Runs in the thread: plain JavaScript, so it loads the same way under tsx, vitest and the built server. */
const ThreadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('wal_autocheckpoint = 0');
let stopped = false;
const timer = setInterval(() => {
  if (stopped) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // Busy (another checkpoint is running, e.g. another gateway process's thread) or a transient I/O error:
    // the next tick tries again, and the request connections' backstop threshold bounds the log meanwhile.
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.close();
});
`;

export function startWalCheckpointer(path: string, options: { intervalMs?: number } = {}): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(ThreadSource, { eval: true, workerData: { path, driver, intervalMs: options.intervalMs ?? 250 } });
  // Never keeps a process alive on its own (a CLI that forgot to close still exits).
  worker.unref();
  // A thread that cannot open the file only loses the background copy; the backstop threshold still applies.
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Held while it finishes: an unreferenced thread let a command's event loop run dry here, so the process
      // ended with code 0 before its own exit code was set (the import's "some record refused" among them).
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
