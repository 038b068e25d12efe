// /healthz, /readyz and /metrics through the real app: unauthenticated, not rate-limited, not audited; readiness with the store down; metrics after traffic.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPostgresDatabase } from '../../src/store/postgres/postgres-database.js';
import { createReadinessCheck } from '../../src/observability/readiness.js';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';
import { createServer } from 'node:net';

/** Parses the Prometheus text format into `name{labels}` -> value (sufficient for the series asserted here). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

const auditCount = async (gw: TestGateway) => Number((await gw.gateway.db.query<{ n: number }>('SELECT count(*) AS n FROM audit_chain'))[0].n);

describe.each(backends())('operations endpoints (%s)', (backend) => {
  let gw: TestGateway;
  let token: string;
  beforeAll(async () => {
    gw = await startTestGateway(backend, { RATE_LIMIT_PER_MINUTE: '3' });
    token = await gw.token(SystemClaims);
  });
  afterAll(() => gw?.close());

  test('/healthz and /readyz answer without a token, are not rate-limited and write no AuditEvent', async () => {
    const before = await auditCount(gw);
    for (let i = 0; i < 6; i++) {
      const h = await request(gw.app).get('/healthz');
      expect(h.status).toBe(200);
      expect(h.body).toEqual({ status: 'alive' });
      const r = await request(gw.app).get('/readyz');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'ready', checks: { store: 'ok', schema: 'ok', audit: 'ok' } });
    }
    expect(await auditCount(gw)).toBe(before);
    // The FHIR API behind the same limit of 3 per minute is limited, so the probes really were exempt.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(gw.app).get('/fhir/metadata')).status);
    expect(statuses).toContain(429);
  });

  test('the probes match as routes do (any case, one trailing slash), GET only; other paths pass on to the rest of the app', async () => {
    expect((await request(gw.app).get('/HealthZ')).body).toEqual({ status: 'alive' });
    expect((await request(gw.app).get('/healthz/')).body).toEqual({ status: 'alive' });
    // Passed on, they meet the FHIR API's rate limit (3 a minute here, spent above) or the not-found answer.
    expect([404, 429]).toContain((await request(gw.app).post('/healthz')).status);
    expect([404, 429]).toContain((await request(gw.app).get('/healthzz')).status);
  });
});

describe.each(backends())('metrics after traffic (%s)', (backend) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(backend, { RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => gw?.close());

  test('requests by interaction, type and status, latency histograms, consent decisions by rule, audit commits, process metrics; no personal data', async () => {
    const token = await gw.token(SystemClaims);
    const hetu = '131052-308T';
    const created = await request(gw.app)
      .post('/fhir/Patient')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu }], name: [{ family: 'Mittarinen' }] });
    expect(created.status).toBe(201);
    expect((await request(gw.app).get(`/fhir/Patient/${created.body.id}`).set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(gw.app).get('/fhir/Patient/no-such-id').set('Authorization', `Bearer ${token}`)).status).toBe(404);
    expect((await request(gw.app).get(`/fhir/Patient?identifier=${hetu}&name=Mittarinen`).set('Authorization', `Bearer ${token}`)).status).toBe(200);
    // D9: a professional without a care relationship or purpose is refused by the consent gate.
    const pro = await gw.token({ sub: 'pro', kanta_role: 'professional', scope: 'user/*.cruds', organization: '1.2.246.10.1', sector: 'health', patient: created.body.id });
    const refused = await request(gw.app).get('/fhir/Encounter').set('Authorization', `Bearer ${pro}`);
    expect(refused.status).toBe(403);
    expect(refused.body.issue[0].details.text).toMatch(/^D9:/);
    expect((await request(gw.app).get('/fhir/Patient')).status).toBe(401);

    const res = await request(gw.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const m = parseMetrics(res.text);
    expect(m.get('kanta_fhir_requests_total{interaction="create",resource_type="Patient",status="201"}')).toBe(1);
    expect(m.get('kanta_fhir_requests_total{interaction="read",resource_type="Patient",status="200"}')).toBe(1);
    expect(m.get('kanta_fhir_requests_total{interaction="read",resource_type="Patient",status="404"}')).toBe(1);
    expect(m.get('kanta_fhir_requests_total{interaction="search-type",resource_type="Patient",status="200"}')).toBe(1);
    expect(m.get('kanta_fhir_requests_total{interaction="search-type",resource_type="Encounter",status="403"}')).toBe(1);
    expect(m.get('kanta_fhir_requests_total{interaction="search-type",resource_type="Patient",status="401"}')).toBe(1);
    expect(m.get('kanta_fhir_request_duration_seconds_count{interaction="read",resource_type="Patient"}')).toBe(2);
    expect(m.get('kanta_fhir_request_duration_seconds_bucket{le="+Inf",interaction="read",resource_type="Patient"}')).toBe(2);
    expect(m.get('kanta_consent_decisions_total{rule="D9",decision="refused"}')).toBe(1);
    expect(m.get('kanta_consent_decisions_total{rule="policy",decision="disclosed"}')).toBeGreaterThanOrEqual(3);
    // Every audited request committed a batch (the 401 is audited as a failed login too).
    expect(m.get('kanta_audit_commit_batch_size_count')).toBeGreaterThanOrEqual(6);
    expect(m.get('kanta_audit_commit_duration_seconds_count')).toBe(m.get('kanta_audit_commit_batch_size_count'));
    expect(m.get('kanta_audit_failures_total')).toBe(0);
    expect(m.get('kanta_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(m.has('kanta_nodejs_eventloop_lag_seconds')).toBe(true);
    if (backend === 'postgres') expect(m.get('kanta_store_pool_connections{state="max"}')).toBeGreaterThan(0);
    for (const secret of [hetu, 'Mittarinen', created.body.id, 'no-such-id']) expect(res.text).not.toContain(secret);
  });
});

describe('metrics bearer token (METRICS_TOKEN)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { METRICS_TOKEN: 'scrape-token-0123456789' });
  });
  afterAll(() => gw?.close());

  test('without or with a wrong token: 401; with the configured one: the metrics', async () => {
    expect((await request(gw.app).get('/metrics')).status).toBe(401);
    expect((await request(gw.app).get('/metrics').set('Authorization', 'Bearer scrape-token-0123456788')).status).toBe(401);
    const ok = await request(gw.app).get('/metrics').set('Authorization', 'Bearer scrape-token-0123456789');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('kanta_fhir_requests_total');
  });
});

describe('readiness with the store down', () => {
  test('SQLite: a closed store answers 503 naming the store, with no driver text', async () => {
    const gw = await startTestGateway('sqlite');
    await gw.gateway.db.close();
    const res = await request(gw.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not ready', reason: 'the store does not answer', checks: { store: 'failed' } });
    expect((await request(gw.app).get('/healthz')).status).toBe(200);
    await gw.close().catch(() => undefined);
  });

  test('PostgreSQL at a closed port: not ready, reason the store', async () => {
    // A port that was just free and is closed again: nothing listens there.
    const probe = createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)));
    await new Promise((r) => probe.close(r));
    const db = openPostgresDatabase(`postgres://nobody@127.0.0.1:${port}/none`, { max: 1 });
    try {
      const result = await createReadinessCheck(db)();
      expect(result).toEqual({ ready: false, reason: 'the store does not answer', checks: { store: 'failed' } });
    } finally {
      await db.close();
    }
  });
});
