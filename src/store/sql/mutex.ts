// An async mutex: serialises SQLite write transactions across concurrent requests. https://www.sqlite.org/lang_transaction.html
export interface Mutex {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(fn, fn);
      // The chain must survive a failed holder, so the next waiter starts either way.
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
