// Real gateway processes (src/main.ts as `npm start` runs it, through tsx) on loopback, for the scale and crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import pg from 'pg';
import { ProjectRoot } from '../../src/project-root.js';

export interface GatewayProcess {
  child: ChildProcess;
  base: string;
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A port free at this moment on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const started = new Set<GatewayProcess>();

export function spawnGateway(env: Record<string, string>): GatewayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ProjectRoot,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + String(d)).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + String(d)).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const proc: GatewayProcess = { child, base: `http://127.0.0.1:${env.PORT}`, output: () => out, exited };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

/** Polls /readyz until 200; fails with the process's output if it exits or does not become ready in time. */
export async function waitReady(proc: GatewayProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void proc.exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`gateway exited before it was ready:\n${proc.output()}`);
    try {
      const res = await fetch(`${proc.base}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gateway not ready in ${timeoutMs} ms:\n${proc.output()}`);
}

/** SIGKILLs every process this module started that is still running (afterAll, also after a failure). */
export async function killAll(): Promise<void> {
  const procs = [...started];
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

/** A system token from the process's development issuer (each process has its own key). */
export async function systemToken(base: string): Promise<string> {
  const res = await fetch(`${base}/auth/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'scale-test', kanta_role: 'system', scope: 'system/*.cruds', client_id: 'scale-test' }),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

/** A fresh schema of the database DATABASE_URL names, and the URL that selects it. */
export async function freshSchema(base: string): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = `scale_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  return {
    schema,
    url: `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async drop() {
      const d = new pg.Client({ connectionString: base });
      await d.connect();
      await d.query(`DROP SCHEMA ${schema} CASCADE`);
      await d.end();
    },
  };
}

/** The X-Request-Id values an AuditEvent carries (BALP XrequestId entities). */
export function requestIdsOf(event: { entity?: Array<{ type?: { code?: string }; what?: { identifier?: { value?: string } } }> }): string[] {
  return (event.entity ?? []).filter((e) => e.type?.code === 'XrequestId').map((e) => e.what?.identifier?.value ?? '').filter(Boolean);
}
