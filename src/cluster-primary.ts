// WORKERS=N: the primary process forks N gateway workers (node:cluster) that share the port and one store, restarts a worker that dies, and stops them on SIGTERM. https://nodejs.org/api/cluster.html
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** The message a worker sends once its gateway serves (store open, migrations current). */
export const WorkerReady = 'kanta-gateway:ready';

/**
 * The first worker starts alone, so migrations and a demo load run once; the rest start after it is ready. A worker
 * that exits before it was ready (bad store, port taken) stops the whole start with exit 1; one that dies later is
 * replaced. The primary opens no store and holds no data.
 */
export function runClusterPrimary(workers: number, log: Logger): void {
  const ready = new Set<number>();
  let stopping = false;
  let failed = false;
  /** Kept here: cluster.workers drops a worker only after both its exit and its disconnect. */
  const live = new Map<number, Worker>();

  function fork(): Worker {
    const worker = cluster.fork();
    live.set(worker.id, worker);
    worker.on('message', (m: unknown) => {
      if (m !== WorkerReady || ready.has(worker.id)) return;
      ready.add(worker.id);
      if (ready.size === 1 && live.size === 1) for (let i = 1; i < workers; i++) fork();
      if (ready.size === workers) log.info({ workers }, `all ${workers} workers serving`);
    });
    return worker;
  }

  const alive = (): Worker[] => [...live.values()];

  function stopAll(signal: NodeJS.Signals): void {
    for (const w of alive()) w.process.kill(signal);
    setTimeout(() => {
      log.error('workers did not stop in 12 s; exiting');
      process.exit(1);
    }, 12_000).unref();
  }

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker.id);
    const wasReady = ready.delete(worker.id);
    if (stopping || failed) {
      if (alive().length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    if (!wasReady) {
      // The worker has logged why; the others would fail the same way.
      failed = true;
      stopAll('SIGTERM');
      if (alive().length === 0) process.exit(1);
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: stopping workers');
    if (alive().length === 0) process.exit(0);
    stopAll('SIGTERM');
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  fork();
}
