// A throw-away PostgreSQL server for fault tests (own data directory and port), so the shared one is never stopped.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BinDir = '/usr/lib/postgresql/15/bin';

/** Why an own server cannot be started here, or undefined when it can. */
export function ownPostgresUnavailable(): string | undefined {
  if (!existsSync(join(BinDir, 'initdb')) || !existsSync(join(BinDir, 'pg_ctl'))) return `no PostgreSQL 15 binaries in ${BinDir}`;
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) return 'running as root and there is no postgres user to run the server as';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface OwnPostgres {
  url: string;
  start(): void;
  /** pg_ctl stop -m fast: every connection is terminated. */
  stop(): void;
  /** SIGSTOP / SIGCONT of every server process: the server hangs without closing anything. */
  freeze(): void;
  thaw(): void;
  destroy(): void;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'kanta-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]): void => {
    const full = [join(BinDir, cmd), ...args];
    if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', ...full], { stdio: 'pipe' });
    else execFileSync(full[0], full.slice(1), { stdio: 'pipe' });
  };
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = () => asPostgres('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = () => asPostgres('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
  const pids = (): number[] => {
    const main = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = spawnSync('pgrep', ['-P', String(main)]).stdout.toString().split('\n').filter(Boolean).map(Number);
    return [main, ...children];
  };
  start();
  let frozen: number[] = [];
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    freeze() {
      frozen = pids();
      for (const p of frozen) process.kill(p, 'SIGSTOP');
    },
    thaw() {
      for (const p of frozen) process.kill(p, 'SIGCONT');
      frozen = [];
    },
    destroy() {
      for (const p of frozen) process.kill(p, 'SIGCONT');
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
