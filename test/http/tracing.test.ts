// Traces captured with an in-memory exporter: one SERVER span per request, children for authentication, consent, store, audit; traceparent honoured; nothing personal.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { createTracing } from '../../src/observability/tracing.js';
import { SystemClaims } from '../support/test-gateway.js';

describe('OpenTelemetry traces', () => {
  const exporter = new InMemorySpanExporter();
  const dir = mkdtempSync(join(tmpdir(), 'kanta-trace-'));
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await createGateway({
      config: loadConfig({ DATA_DIR: dir, DEV_ISSUER: '1', LOG_LEVEL: 'silent' }),
      log: createLogger('silent'),
      tracing: createTracing({ exporter }),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a request joins the caller\'s trace, has child spans for each pipeline step, and carries no HETU, name, id or body', async () => {
    const token = await gateway.devIssuer!.mint(SystemClaims);
    const hetu = '131052-308T';
    const created = await request(gateway.app)
      .post('/fhir/Patient')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.246.21', value: hetu }], name: [{ family: 'Jäljitettävä' }] });
    expect(created.status).toBe(201);
    exporter.reset();

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    const res = await request(gateway.app)
      .get(`/fhir/Patient?identifier=${hetu}`)
      .set('Authorization', `Bearer ${token}`)
      .set('traceparent', `00-${traceId}-${parentSpanId}-01`);
    expect(res.status).toBe(200);
    expect(res.headers.traceresponse).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === 1 /* SERVER */);
    expect(server).toBeDefined();
    expect(server!.spanContext().traceId).toBe(traceId);
    expect(server!.parentSpanContext?.spanId).toBe(parentSpanId);
    expect(server!.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'fhir.interaction': 'search-type', 'fhir.resource_type': 'Patient' });
    const children = spans.filter((s) => s.parentSpanContext?.spanId === server!.spanContext().spanId).map((s) => s.name);
    // A read's AuditEvents join the group commit after the handler: the audit span is a sibling of store under the request.
    expect(children.sort()).toEqual(['audit', 'authentication', 'consent', 'store']);
    for (const s of spans) expect(s.spanContext().traceId).toBe(traceId);

    const everything = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    for (const secret of [hetu, 'Jäljitettävä', created.body.id, 'identifier']) expect(everything).not.toContain(secret);
  });

  test('without a traceparent each request starts its own trace', async () => {
    exporter.reset();
    await request(gateway.app).get('/fhir/metadata');
    await request(gateway.app).get('/fhir/metadata');
    const servers = exporter.getFinishedSpans().filter((s) => s.kind === 1);
    expect(servers).toHaveLength(2);
    expect(servers[0].spanContext().traceId).not.toBe(servers[1].spanContext().traceId);
    expect(servers[0].parentSpanContext).toBeUndefined();
  });

  test('off unless configured: no OTEL_EXPORTER_OTLP_ENDPOINT means no tracing; with it, spans are POSTed to <endpoint>/v1/traces', async () => {
    expect(createTracing({}).enabled).toBe(false);
    const received: string[] = [];
    const collector = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      req.resume().on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
    });
    const port = await new Promise<number>((r) => collector.listen(0, '127.0.0.1', () => r((collector.address() as { port: number }).port)));
    try {
      const tracing = createTracing({ endpoint: `http://127.0.0.1:${port}/` });
      expect(tracing.enabled).toBe(true);
      await tracing.span('probe', async () => undefined);
      await tracing.shutdown(); // flushes the batch
      expect(received).toEqual(['POST /v1/traces']);
    } finally {
      collector.close();
    }
  });
});
