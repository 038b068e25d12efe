// Probes and metrics for operators: /healthz, /readyz, /metrics, outside /fhir, unauthenticated (metrics: optional bearer), never audited. https://prometheus.io/docs/instrumenting/exposition_formats/
import { timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { Readiness } from '../observability/readiness.js';

export interface OperationsRoutesDeps {
  ready(): Promise<Readiness>;
  metrics: { contentType: string; render(): Promise<string> };
  /** METRICS_TOKEN: when set, /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

const Paths = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Mounted before rate limiting and request logging: probes run every few seconds and carry nothing personal. Every
 * other request (all of FHIR) passes by with one set look-up rather than through a router of its own.
 */
export function operationsRoutes(deps: OperationsRoutesDeps): RequestHandler {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    const r = await deps.ready();
    res.set('Cache-Control', 'no-store').status(r.ready ? 200 : 503).json(r.ready ? { status: 'ready', checks: r.checks } : { status: 'not ready', reason: r.reason, checks: r.checks });
  });
  router.get('/metrics', async (req, res) => {
    if (deps.metricsToken && !bearerMatches(req.get('authorization'), deps.metricsToken)) {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"').status(401).type('text/plain').send('metrics need the configured bearer token\n');
      return;
    }
    res.set('Cache-Control', 'no-store').type(deps.metrics.contentType).send(await deps.metrics.render());
  });
  // As the router matches: case-insensitive, one trailing slash allowed.
  return (req, res, next) => (Paths.has(req.path.toLowerCase().replace(/\/$/, '')) ? router(req, res, next) : next());
}
