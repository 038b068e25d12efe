// The rate limit's shared counters in Redis (rate-limit-redis over node-redis), so N gateway processes allow the limit once, not N times. https://github.com/express-rate-limit/rate-limit-redis
import { RedisStore } from 'rate-limit-redis';
import { createClient } from 'redis';
import type { Store } from 'express-rate-limit';

export interface SharedRateLimitStore {
  store: Store;
  close(): Promise<void>;
}

/** Host and port only: the URL may carry a password, which must not reach a log line. */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'REDIS_URL';
  }
}

/** Connects at start, so an unreachable Redis stops the gateway with a clear message instead of failing open silently. */
export async function connectSharedRateLimitStore(url: string, prefix: string, log: { warn(obj: object, msg: string): void }): Promise<SharedRateLimitStore> {
  const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 3000) } });
  let connected = false;
  client.on('error', (err: Error) => {
    if (connected) log.warn({ err: err.message }, 'rate-limit store (Redis) error; requests pass unlimited until it is back');
  });
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref()),
    ]);
  } catch (err) {
    client.destroy();
    throw new Error(`cannot reach Redis for the shared rate limit at ${where(url)}: ${(err as Error).message}`);
  }
  connected = true;
  return {
    store: new RedisStore({ sendCommand: (...args: string[]) => client.sendCommand(args), prefix }),
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}
