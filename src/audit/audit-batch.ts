// Group commit of the audit log: one writer commits the AuditEvents (and the writes) of every request ready at that moment in one transaction (A2). https://www.postgresql.org/docs/current/wal-configuration.html
import type { AuditEvent } from '@medplum/fhirtypes';
import type { SqlDatabase } from '../store/sql/database.js';

/** The batch transaction could not commit (or append): every request in it answers 503 with no data. */
export class AuditUnavailable extends Error {
  /** Why, when the database itself said so (busy, away): its 503 names that instead of the audit log. */
  constructor(message: string, readonly cause?: unknown) {
    super(message);
  }
}

export type WorkOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface AuditBatchWriter {
  /** Appends `events` in the next batch; resolves once the batch holding them committed, rejects with AuditUnavailable otherwise. */
  record(events: AuditEvent[]): Promise<void>;
  /**
   * Runs `work` in the next batch transaction (in a savepoint of its own, so a failing request rolls back alone) and
   * appends the events `eventsFor` derives from its outcome in the same transaction: data and audit commit together.
   * Resolves with the work's value, or rejects with its error, only after that commit; AuditUnavailable if it failed.
   */
  write<T>(work: (tx: SqlDatabase) => Promise<T>, eventsFor: (outcome: WorkOutcome<T>) => AuditEvent[]): Promise<T>;
  /** Waits for queued batches (close). */
  drain(): Promise<void>;
}

export interface AuditBatchOptions {
  db: SqlDatabase;
  /** Appends events to the chain inside the batch transaction. */
  append(tx: SqlDatabase, events: AuditEvent[]): Promise<void>;
  /**
   * A request's work that failed only because it lost a lock race with another process's batch (PostgreSQL deadlock
   * or serialization failure): its savepoint rolled back, so it runs again in the next batch, after this one has
   * committed and released the rows the other batch waits for. Retrying inside the same batch would deadlock again.
   */
  isTransient?(err: unknown): boolean;
  /** Observes each committed (or failed) batch: size and milliseconds (metrics). */
  onBatch?(info: { requests: number; events: number; ms: number; ok: boolean }): void;
}

/** How often one request's work may lose a lock race before its error is answered. */
const TransientAttempts = 5;

interface Job {
  attempts: number;
  work?: (tx: SqlDatabase) => Promise<unknown>;
  events: (outcome: WorkOutcome<unknown>) => AuditEvent[];
  settle(ok: boolean, outcome: WorkOutcome<unknown>): void;
  fail(err: AuditUnavailable): void;
}

export function createAuditBatchWriter(opts: AuditBatchOptions): AuditBatchWriter {
  let queue: Job[] = [];
  let running: Promise<void> | undefined;
  let scheduled = false;

  async function runBatch(batch: Job[]): Promise<void> {
    const started = performance.now();
    const outcomes: Array<WorkOutcome<unknown> | 'retry'> = [];
    let count = 0;
    try {
      await opts.db.transaction(async (tx) => {
        const events: AuditEvent[] = [];
        for (const job of batch) {
          let outcome: WorkOutcome<unknown> = { ok: true, value: undefined };
          if (job.work) {
            const work = job.work;
            try {
              outcome = { ok: true, value: await tx.transaction((inner) => work(inner)) };
            } catch (error) {
              if (job.attempts < TransientAttempts && opts.isTransient?.(error)) {
                outcomes.push('retry');
                continue;
              }
              outcome = { ok: false, error };
            }
          }
          outcomes.push(outcome);
          events.push(...job.events(outcome));
        }
        count = events.length;
        await opts.append(tx, events);
      });
    } catch (err) {
      opts.onBatch?.({ requests: batch.length, events: count, ms: performance.now() - started, ok: false });
      const failure = err instanceof AuditUnavailable ? err : new AuditUnavailable(String(err), err);
      for (const job of batch) job.fail(failure);
      return;
    }
    opts.onBatch?.({ requests: batch.length, events: count, ms: performance.now() - started, ok: true });
    batch.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome !== 'retry') return job.settle(true, outcome);
      job.attempts += 1;
      queue.push(job);
    });
  }

  function kick(): void {
    if (running || scheduled || queue.length === 0) return;
    // Let requests that become ready in the same turn of the event loop join this batch.
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (running || queue.length === 0) return;
      const batch = queue;
      queue = [];
      running = runBatch(batch).finally(() => {
        running = undefined;
        kick();
      });
    });
  }

  function enqueue<T>(work: Job['work'], eventsFor: (outcome: WorkOutcome<T>) => AuditEvent[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({
        attempts: 1,
        work,
        events: eventsFor as Job['events'],
        settle: (_ok, outcome) => (outcome.ok ? resolve(outcome.value as T) : reject(outcome.error)),
        fail: reject,
      });
      kick();
    });
  }

  return {
    record: (events) => (events.length === 0 ? Promise.resolve() : enqueue<void>(undefined, () => events)),
    write: (work, eventsFor) => enqueue(work, eventsFor),
    async drain() {
      while (running || queue.length > 0 || scheduled) {
        if (running) await running;
        else await new Promise((r) => setImmediate(r));
      }
    },
  };
}
