// Readiness of one gateway process: the store answers, its schema is the one the code expects, and an audit write can begin. https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
import { schemaIsCurrent } from '../store/migrate.js';
import type { SqlDatabase } from '../store/sql/database.js';

export type Readiness = { ready: true; checks: Record<string, 'ok'> } | { ready: false; checks: Record<string, string>; reason: string };


/** A probe that hangs is a failed probe: the orchestrator must see "not ready", not a timed-out connection. */
function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Reasons name the failed check only; driver messages (hosts, users, SQL) stay out of the unauthenticated answer. */
export function createReadinessCheck(db: SqlDatabase, options: { timeoutMs?: number; onFailure?: (check: string, err: unknown) => void } = {}) {
  const ms = options.timeoutMs ?? 2000;
  const steps: Array<[string, string, () => Promise<unknown>]> = [
    ['store', 'the store does not answer', () => db.query('SELECT 1 AS ok')],
    ['schema', 'the store schema is not the one this version expects (run npm run migrate, or a matching version)', async () => {
      if (!(await schemaIsCurrent(db))) throw new Error('migrations differ');
    }],
    ['audit', 'the audit log cannot be written (read-only or locked store)', () =>
      db.transaction(async (tx) => {
        // SQLite: the transaction begins IMMEDIATE, so reaching here holds the write lock. PostgreSQL: a standby or read-only session refuses writes.
        if (tx.dialect !== 'postgres') return;
        const [row] = await tx.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
        if (row?.transaction_read_only !== 'off') throw new Error('read-only transaction');
      })],
  ];

  return async function check(): Promise<Readiness> {
    const checks: Record<string, string> = {};
    for (const [name, reason, run] of steps) {
      try {
        await within(ms, run(), name);
        checks[name] = 'ok';
      } catch (err) {
        options.onFailure?.(name, err);
        checks[name] = 'failed';
        return { ready: false, checks, reason };
      }
    }
    return { ready: true, checks: checks as Record<string, 'ok'> };
  };
}
