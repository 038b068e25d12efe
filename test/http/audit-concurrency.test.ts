// A3 under concurrency: many requests at once, and on PostgreSQL two gateway processes on one database, still make one valid hash chain.
import request from 'supertest';
import { afterAll, describe, expect, test } from 'vitest';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import type { Gateway } from '../../src/gateway.js';
import { backends } from '../support/backends.js';
import { SystemClaims } from '../support/test-gateway.js';
import { startWithRawAccess, type Started } from './audit-support.js';

const ROUNDS = 15;

/** A write and a read per round, all in flight together. */
async function burst(gateways: Gateway[]): Promise<number> {
  const tokens = await Promise.all(gateways.map(async (g) => `Bearer ${await g.devIssuer!.mint(SystemClaims)}`));
  const calls: Array<Promise<request.Response>> = [];
  for (let i = 0; i < ROUNDS; i++) {
    gateways.forEach((g, k) => {
      calls.push(request(g.app).post('/fhir/Patient').set('Authorization', tokens[k]).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', birthDate: '1980-01-01' }));
      calls.push(request(g.app).get('/fhir/Patient?birthdate=1980-01-01&_count=1').set('Authorization', tokens[k]));
    });
  }
  const answers = await Promise.all(calls);
  for (const a of answers) expect([200, 201]).toContain(a.status);
  return answers.length;
}

async function expectOneValidChain(s: Started, atLeast: number): Promise<void> {
  const lines: string[] = [];
  expect(await runAuditVerify(s.env, (l) => lines.push(l))).toBe(0);
  const [{ n, lo, hi }] = await s.raw.query<{ n: number | string; lo: number | string; hi: number | string }>('SELECT COUNT(*) AS n, MIN(seq) AS lo, MAX(seq) AS hi FROM audit_chain');
  expect(Number(n)).toBeGreaterThanOrEqual(atLeast);
  // No gaps and no forks: seq runs 1..n.
  expect([Number(lo), Number(hi)]).toEqual([1, Number(n)]);
  const [{ events }] = await s.raw.query<{ events: number | string }>(`SELECT COUNT(*) AS events FROM audit_event`);
  expect(Number(events)).toBe(Number(n));
  expect(lines.join('\n')).toContain(`Audit chain intact: ${Number(n)} AuditEvents checked`);
}

describe.each(backends())('A3: concurrent writers keep one chain (%s)', (backend) => {
  const started: Started[] = [];
  afterAll(async () => {
    for (const s of started) await s.close();
  });

  test('A3: concurrent requests to one gateway each append their AuditEvent to a single valid chain', async () => {
    const s = await startWithRawAccess(backend);
    started.push(s);
    const requests = await burst([s.gateway]);
    await expectOneValidChain(s, requests);
  });

  test.runIf(backend === 'postgres')('A3: two gateway processes writing to one PostgreSQL at the same time keep one valid chain', async () => {
    const s = await startWithRawAccess(backend);
    started.push(s);
    const second = await s.another();
    const requests = await burst([s.gateway, second]);
    await expectOneValidChain(s, requests);
  });
});
