// Starts the real gateway (createGateway) on a fresh SQLite file or a fresh PostgreSQL schema, with the development issuer on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Express } from 'express';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Backend } from './backends.js';

export interface TestGateway {
  app: Express;
  gateway: Gateway;
  /** A second gateway process on the same database (its own dev issuer: mint its tokens with its own token()). */
  startPeer(): Promise<TestGateway>;
  /** Mints a development token for the given claims. */
  token(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** A trusted back-end system with every scope: used to seed and inspect data in core tests. */
export const SystemClaims = { sub: 'test-system', kanta_role: 'system', scope: 'system/*.cruds', client_id: 'test-system' } as const;

export async function startTestGateway(backend: Backend, env: Record<string, string> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'kanta-gw-'));
  let schema: string | undefined;
  let databaseUrl: string | undefined;
  if (backend === 'postgres') {
    const base = process.env.DATABASE_URL!;
    schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
    databaseUrl = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }
  const config = loadConfig({ DATA_DIR: dir, DEV_ISSUER: '1', LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...env });
  const gateway = await createGateway({ config, log: createLogger('silent') });
  const peers: Gateway[] = [];
  return {
    app: gateway.app,
    gateway,
    async startPeer() {
      const peer = await createGateway({ config, log: createLogger('silent') });
      peers.push(peer);
      return { app: peer.app, gateway: peer, startPeer: () => Promise.reject(new Error('peer of a peer')), token: (claims) => peer.devIssuer!.mint(claims), close: () => peer.close() };
    },
    token: (claims) => gateway.devIssuer!.mint(claims),
    async close() {
      for (const p of peers) await p.close().catch(() => undefined);
      await gateway.close();
      if (schema) {
        const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await c.connect();
        await c.query(`DROP SCHEMA ${schema} CASCADE`);
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
