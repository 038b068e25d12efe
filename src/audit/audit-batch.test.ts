// Unit tests of the audit group commit: one transaction per batch, and a failed commit fails every request in it (A2).
import type { AuditEvent } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import type { SqlDatabase } from '../store/sql/database.js';
import { AuditUnavailable, createAuditBatchWriter } from './audit-batch.js';

const event = (n: number): AuditEvent => ({ resourceType: 'AuditEvent', id: `e${n}` } as AuditEvent);

/** A database whose transactions record what was appended and then commit, or fail at COMMIT when `failCommit` is set. */
function fakeDb(failCommit: () => boolean) {
  const committed: string[][] = [];
  let transactions = 0;
  const tx = {
    dialect: 'sqlite',
    inTransaction: true,
    query: async () => [],
    execute: async () => ({ changes: 0 }),
    transaction: async <T>(fn: (t: SqlDatabase) => Promise<T>) => fn(tx as unknown as SqlDatabase),
    close: async () => undefined,
  };
  const db = {
    ...tx,
    inTransaction: false,
    async transaction<T>(fn: (t: SqlDatabase) => Promise<T>): Promise<T> {
      transactions++;
      const pending: string[] = [];
      (tx as { pending?: string[] }).pending = pending;
      const result = await fn(tx as unknown as SqlDatabase);
      if (failCommit()) throw new Error('disk full at COMMIT');
      committed.push(pending);
      return result;
    },
  } as unknown as SqlDatabase;
  return { db, committed, transactions: () => transactions, pendingOf: () => (tx as { pending?: string[] }).pending! };
}

describe('audit group commit', () => {
  test('requests ready together share one transaction, and each resolves only after it committed', async () => {
    const f = fakeDb(() => false);
    const batches: number[] = [];
    const w = createAuditBatchWriter({ db: f.db, append: async (_tx, events) => void f.pendingOf().push(...events.map((e) => e.id!)), onBatch: (b) => batches.push(b.requests) });
    const results = await Promise.all([
      w.record([event(1)]),
      w.write(async () => 'written', (o) => (o.ok ? [event(2)] : [])),
      w.record([event(3), event(4)]),
    ]);
    expect(results[1]).toBe('written');
    expect(f.transactions()).toBe(1);
    expect(batches).toEqual([3]);
    expect(f.committed).toEqual([['e1', 'e2', 'e3', 'e4']]);
  });

  test('a failing write rolls back alone: its error reaches its caller after the commit and its refusal is audited', async () => {
    const f = fakeDb(() => false);
    const w = createAuditBatchWriter({ db: f.db, append: async (_tx, events) => void f.pendingOf().push(...events.map((e) => e.id!)) });
    const [bad, good] = await Promise.allSettled([
      w.write(async () => {
        throw new Error('412 version mismatch');
      }, (o) => [event(o.ok ? 1 : 9)]),
      w.record([event(2)]),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: '412 version mismatch' } });
    expect(good.status).toBe('fulfilled');
    expect(f.committed).toEqual([['e9', 'e2']]);
  });

  test('A2: when the batch commit fails, every request in the batch is refused with AuditUnavailable, reads and writes alike', async () => {
    const f = fakeDb(() => true);
    const w = createAuditBatchWriter({ db: f.db, append: async () => undefined });
    const settled = await Promise.allSettled([
      w.record([event(1)]),
      w.write(async () => ({ secret: 'data' }), () => [event(2)]),
      w.record([event(3)]),
    ]);
    expect(f.transactions()).toBe(1);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(AuditUnavailable);
    }
  });

  test('after a failed batch the writer keeps serving the next one', async () => {
    let fail = true;
    const f = fakeDb(() => fail);
    const w = createAuditBatchWriter({ db: f.db, append: async () => undefined });
    await expect(w.record([event(1)])).rejects.toBeInstanceOf(AuditUnavailable);
    fail = false;
    await expect(w.record([event(2)])).resolves.toBeUndefined();
  });

  test('work that lost a lock race to another process runs again in the next batch, audited once; other errors answer at once', async () => {
    const f = fakeDb(() => false);
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    let tries = 0;
    const w = createAuditBatchWriter({
      db: f.db,
      append: async (_tx, events) => void f.pendingOf().push(...events.map((e) => e.id!)),
      isTransient: (err) => (err as { code?: string }).code === '40P01',
    });
    const [raced, other, plain] = await Promise.allSettled([
      w.write(async () => {
        if (++tries === 1) throw deadlock;
        return 'won on retry';
      }, (o) => [event(o.ok ? 10 : 11)]),
      w.write(async () => {
        throw new Error('not a race');
      }, () => [event(20)]),
      w.record([event(30)]),
    ]);
    expect(raced).toEqual({ status: 'fulfilled', value: 'won on retry' });
    expect(other.status).toBe('rejected');
    expect(plain.status).toBe('fulfilled');
    expect(tries).toBe(2);
    // The first batch committed the others' events; the retried work and its one event came in the next batch.
    expect(f.committed).toEqual([['e20', 'e30'], ['e10']]);
  });

  test('work that keeps losing lock races answers its error after a bounded number of attempts', async () => {
    const f = fakeDb(() => false);
    let tries = 0;
    const w = createAuditBatchWriter({ db: f.db, append: async () => undefined, isTransient: () => true });
    await expect(
      w.write(async () => {
        tries++;
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }, () => [event(1)]),
    ).rejects.toThrow('deadlock detected');
    expect(tries).toBe(5);
  });
});
