// Starts a server (the gateway or the bare baseline) as a child process on 127.0.0.1, samples its memory, stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { ProjectRoot } from '../src/gateway.js';

export interface ServerProcess {
  pid: number;
  baseUrl: string;
  /** Peak resident set size (VmHWM) so far, in MiB. */
  peakRssMiB(): number;
  /** Current resident set size, in MiB. */
  rssMiB(): number;
  /** Current resident set size of the process and its child processes (node:cluster workers), in MiB. */
  treeRssMiB(): number;
  /** With WORKERS=n: resolves once n workers run and every one of them answers (not 503 "starting"). */
  waitWorkers(n: number, readyPath: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A free loopback port: listen on 0, read it, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Direct children of a process, from each /proc/<pid>/stat's parent field. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** One GET on a fresh connection (no keep-alive), so the cluster primary hands each one to the next worker. */
function statusOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${output()}`);
}

/**
 * Runs `node --import tsx <script>` directly (not the tsx CLI, which would add a wrapper process),
 * so the pid whose memory is sampled is the server itself.
 */
export async function startServer(script: string, env: Record<string, string>, readyPath: string, timeoutMs = 300_000): Promise<ServerProcess> {
  const port = await freePort();
  // BENCH_PROFILE_DIR=dir writes a V8 CPU profile of each server process there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script], {
    cwd: ProjectRoot,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${baseUrl}${readyPath}`, child, () => out, timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const pid = child.pid!;
  return {
    pid,
    baseUrl,
    peakRssMiB: () => statusKiB(pid, 'VmHWM') / 1024,
    rssMiB: () => statusKiB(pid, 'VmRSS') / 1024,
    treeRssMiB: () => [pid, ...childPids(pid)].reduce((sum, p) => sum + statusKiB(p, 'VmRSS'), 0) / 1024,
    async waitWorkers(n, path, waitMs = timeoutMs) {
      const until = Date.now() + waitMs;
      while (Date.now() < until) {
        if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
        if (childPids(pid).length >= n) {
          const codes = await Promise.all(Array.from({ length: 2 * n }, () => statusOnNewConnection(`${baseUrl}${path}`)));
          if (codes.every((c) => c > 0 && c < 500)) return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${n} workers not ready after ${waitMs} ms:\n${out}`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(hard);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
