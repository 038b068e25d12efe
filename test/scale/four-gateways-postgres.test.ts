// Four gateway processes under mixed load on one PostgreSQL: no lost update, no duplicate version, one audit chain that verifies (issue 15).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { postgresUrlOrSkip } from '../support/backends.js';
import { freePort, freshSchema, killAll, requestIdsOf, spawnGateway, systemToken, waitReady, type GatewayProcess } from './gateway-processes.js';

const pgUrl = postgresUrlOrSkip('four gateway processes on one PostgreSQL');
const Processes = 4;
// Bounded: the load stops by itself after this many requests or this long, whichever comes first (raise them for a soak).
const Requests = Number(process.env.SCALE_REQUESTS ?? 2000);
const LoadMs = Number(process.env.SCALE_LOAD_MS ?? 30_000);
const Connections = 16;
/** src/audit/audit-log.ts: the advisory lock that serialises chain appends ("AUDI"), taken with the schema's hash as its second key. */
const ChainLockKey = 1096107081;

interface Sent {
  status: number;
  body: any;
}

describe.skipIf(!pgUrl)(`four gateway processes on one PostgreSQL${pgUrl ? '' : ' (skipped: DATABASE_URL is not set)'}`, () => {
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  const gateways: GatewayProcess[] = [];
  const tokens: string[] = [];
  let sequence = 0;
  /** Request id → status of every answered request. */
  const answered = new Map<string, number>();

  async function send(p: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Sent> {
    const id = `scale-${++sequence}`;
    const res = await fetch(`${gateways[p].base}/fhir${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[p]}`, 'x-request-id': id, accept: 'application/fhir+json', ...(body ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    answered.set(id, res.status);
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    schema = await freshSchema(pgUrl!);
    for (let i = 0; i < Processes; i++) {
      gateways.push(spawnGateway({ PORT: String(await freePort()), DATABASE_URL: schema.url, DEV_ISSUER: '1', PG_POOL_SIZE: '5' }));
    }
    await Promise.all(gateways.map((g) => waitReady(g)));
    for (const g of gateways) tokens.push(await systemToken(g.base));
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await schema?.drop();
  });

  test('mixed reads, searches, writes and transactions through all four: versions 1..n, every acknowledged write present, one chain that verifies', async () => {
    const hot: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await send(i % Processes, 'POST', '/Organization', { resourceType: 'Organization', name: `hot-${i}` });
      expect(r.status).toBe(201);
      hot.push(r.body.id);
    }
    /** Every acknowledged write: type/id → versions its answers reported. */
    const acked = new Map<string, string[]>();
    const ack = (type: string, id: string, version: string) => acked.set(`${type}/${id}`, [...(acked.get(`${type}/${id}`) ?? []), version]);
    for (const id of hot) ack('Organization', id, '1');
    const failures: string[] = [];
    let races = 0;
    let next = 0;

    async function one(n: number): Promise<number> {
      const p = n % Processes;
      const kind = n % 10;
      if (kind < 3) {
        const r = await send(p, 'GET', `/Organization/${hot[n % hot.length]}`);
        if (r.status !== 200) failures.push(`read ${r.status}`);
        return 1;
      }
      if (kind < 5) {
        const r = await send(p, 'GET', `/Patient?family=Scale${n % 7}&_count=5`);
        if (r.status !== 200 || r.body.resourceType !== 'Bundle') failures.push(`search ${r.status}`);
        return 1;
      }
      if (kind < 7) {
        // Unconditional updates of the same few resources from every process: none may be lost.
        const id = hot[n % hot.length];
        const r = await send(p, 'PUT', `/Organization/${id}`, { resourceType: 'Organization', id, name: `hot-${n}` });
        if (r.status === 200) ack('Organization', id, r.body.meta.versionId);
        else failures.push(`update ${r.status}`);
        return 1;
      }
      if (kind < 9) {
        const r = await send(p, 'POST', '/Patient', { resourceType: 'Patient', name: [{ family: `Scale${n % 7}`, given: [`N${n}`] }] });
        if (r.status === 201) ack('Patient', r.body.id, r.body.meta.versionId);
        else failures.push(`create ${r.status}`);
        return 1;
      }
      if (n % 20 === 9) {
        const r = await send(p, 'POST', '', {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [0, 1].map((k) => ({
            fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(n * 2 + k).padStart(12, '0')}`,
            resource: { resourceType: 'Patient', name: [{ family: `Scale${n % 7}`, given: [`T${n}-${k}`] }] },
            request: { method: 'POST', url: 'Patient' },
          })),
        });
        if (r.status !== 200) failures.push(`transaction ${r.status}`);
        else for (const e of r.body.entry) ack('Patient', e.response.location.split('/')[1], e.response.location.split('/')[3] ?? '1');
        return 1;
      }
      // If-Match race: the same version sent through all four processes at once; exactly one wins, the rest 412.
      const created = await send(p, 'POST', '/Organization', { resourceType: 'Organization', name: `race-${n}` });
      if (created.status !== 201) {
        failures.push(`race create ${created.status}`);
        return 1;
      }
      const id = created.body.id;
      ack('Organization', id, '1');
      const results = await Promise.all(
        gateways.map((_, q) => send(q, 'PUT', `/Organization/${id}`, { resourceType: 'Organization', id, name: `race-${n}-${q}` }, { 'if-match': 'W/"1"' })),
      );
      const statuses = results.map((r) => r.status).sort();
      if (statuses.join() !== '200,412,412,412') failures.push(`race ${statuses.join()}`);
      for (const r of results) {
        if (r.status === 200) ack('Organization', id, r.body.meta.versionId);
        else if (r.body?.resourceType !== 'OperationOutcome') failures.push('412 without OperationOutcome');
      }
      races++;
      return 1 + Processes;
    }

    // No request-long global lock: whenever a backend is seen holding the audit chain lock, it is appending to the
    // chain or committing, never doing a request's resource work (the lock is taken per batch, after the work).
    const sampler = new pg.Client({ connectionString: schema.url });
    await sampler.connect();
    const holderQueries: string[] = [];
    let loading = true;
    // pg_locks and pg_stat_activity are not one snapshot, so one joined query can pair a lock with the statement its
    // holder ran just before taking it. Read in order instead: the holders, then their statements, then the holders
    // again. A statement read between two sightings of the same transaction holding the lock was started after the
    // lock was taken (the lock statement itself or later), so any request SQL seen this way ran under the lock.
    const holders = async (): Promise<Map<number, string>> => {
      const { rows } = await sampler.query<{ pid: number; vxid: string }>(
        `SELECT l.pid, l.virtualtransaction AS vxid FROM pg_locks l
          WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${ChainLockKey} AND l.objsubid = 2 AND l.objid = (hashtext(current_schema()) & 4294967295)::bigint::text::oid AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      return new Map(rows.map((r) => [r.pid, r.vxid]));
    };
    const sampling = (async () => {
      while (loading) {
        const before = await holders();
        if (before.size > 0) {
          const { rows } = await sampler.query<{ pid: number; query: string }>('SELECT pid, query FROM pg_stat_activity WHERE pid = ANY($1::int[])', [[...before.keys()]]);
          const after = await holders();
          for (const r of rows) if (after.get(r.pid) === before.get(r.pid)) holderQueries.push(r.query);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    let sent = 0;
    const stopAt = Date.now() + LoadMs;
    await Promise.all(
      Array.from({ length: Connections }, async () => {
        while (sent < Requests && Date.now() < stopAt) {
          const n = next++;
          sent += await one(n);
        }
      }),
    );
    loading = false;
    await sampling;
    await sampler.end();
    expect(holderQueries.length, 'the chain lock was never seen held during the load').toBeGreaterThan(0);
    const requestSql = holderQueries.filter((q) => !/audit_chain|audit_event|pg_advisory_xact_lock|^\s*COMMIT/i.test(q));
    expect(requestSql, 'request SQL seen under the chain lock').toEqual([]);
    if (failures.length) console.error(gateways.map((g) => g.output()).join('\n').split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-8).join('\n'));
    expect(failures).toEqual([]);
    console.info(`[four gateways] ${answered.size} requests answered, ${races} If-Match races of ${Processes}, chain lock seen held ${holderQueries.length} times`);
    expect(races).toBeGreaterThanOrEqual(2);

    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    try {
      // Every resource's versions are exactly 1..n, n is its current version, and every acknowledged version is there.
      const { rows } = await c.query<{ t: string; id: string; current: number; versions: number[] }>(
        `SELECT r.resource_type AS t, r.id, r.version_id AS current, array_agg(v.version_id ORDER BY v.version_id) AS versions
           FROM resource r JOIN resource_version v ON v.rid = r.rid
          WHERE r.resource_type IN ('Organization', 'Patient') GROUP BY r.rid, r.resource_type, r.id, r.version_id`,
      );
      const stored = new Map(rows.map((r) => [`${r.t}/${r.id}`, r]));
      for (const r of rows) {
        expect(r.versions, `${r.t}/${r.id}`).toEqual(Array.from({ length: r.current }, (_, i) => i + 1));
      }
      for (const [key, versions] of acked) {
        const row = stored.get(key);
        expect(row, key).toBeDefined();
        // No lost update and no duplicate: the answered versions are distinct and all of them are stored.
        expect(new Set(versions).size, `${key} answered a version twice`).toBe(versions.length);
        expect(row!.versions.length, `${key}: acknowledged writes vs stored versions`).toBe(versions.length);
      }

      // Every answered request left its AuditEvent, and the one chain verifies.
      const audited = new Set<string>();
      const events = await c.query<{ content: string }>('SELECT content FROM audit_event');
      for (const e of events.rows) for (const id of requestIdsOf(JSON.parse(e.content))) audited.add(id);
      const missing = [...answered.keys()].filter((id) => !audited.has(id));
      expect(missing).toEqual([]);
      expect(events.rows.length).toBeGreaterThanOrEqual(answered.size);
    } finally {
      await c.end();
    }
    const lines: string[] = [];
    expect(await runAuditVerify({ DATABASE_URL: schema.url }, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/Audit chain intact: \d+ AuditEvents checked/);
  }, 150_000);
});
