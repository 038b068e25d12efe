// Startup of the real process: a taken port or a bad setting is one fatal line and exit 1, before any data exists.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ProjectRoot } from '../../src/project-root.js';

const base = mkdtempSync(join(tmpdir(), 'kanta-startup-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs src/main.ts as `npm start` would (through tsx here, so the test needs no build) and collects its output. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ProjectRoot,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split('\n').filter(Boolean) });
    });
  });
}

describe('startup failures', () => {
  test('a port already in use: exit 1, one fatal line naming the port, no data directory created', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
    const dataDir = join(base, 'taken-port');
    try {
      const { code, lines } = await runMain({ PORT: String(port), DEV_ISSUER: '1', DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(lines).toHaveLength(1);
      const entry = JSON.parse(lines[0]) as { level: number; msg: string };
      expect(entry.level).toBe(60);
      expect(entry.msg).toContain(`127.0.0.1:${port} is already in use`);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  test('no token keys and no development issuer: exit 1, one fatal line, no data directory created', async () => {
    const dataDir = join(base, 'no-keys');
    const { code, lines } = await runMain({ PORT: '0', DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0]) as { msg: string }).msg).toContain('no token keys are configured');
    expect(existsSync(dataDir)).toBe(false);
  });

  test('a malformed setting is named: exit 1, one fatal line, no data directory created', async () => {
    const dataDir = join(base, 'bad-port');
    const { code, lines } = await runMain({ PORT: 'eighty', DEV_ISSUER: '1', DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0]) as { msg: string }).msg).toMatch(/Invalid configuration: .*port/i);
    expect(existsSync(dataDir)).toBe(false);
  });
});
