// Prometheus metrics of one gateway (prom-client, its own registry): requests, consent decisions, audit commits, pool, process. https://prometheus.io/docs/instrumenting/writing_exporters/
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Connection-pool use of the store, where it has a pool (PostgreSQL). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/** Label values are closed sets (interaction codes, served types, status codes, rule IDs): never ids, names or HETUs. */
export interface RequestLabels {
  interaction: string;
  resourceType: string;
  status: number;
}

/**
 * `disclosed`: resources the consent policy showed the caller (they see those anyway); `refused`: requests a spec rule
 * refused, as their answer says. Never `withheld`: a count of records withheld from a caller rises for a hidden
 * record and not for a missing id, so the open /metrics would betray what a 404 hides (D11).
 */
export type ConsentDecision = 'disclosed' | 'refused';
const ConsentDecisions: ReadonlySet<string> = new Set<ConsentDecision>(['disclosed', 'refused']);

export interface GatewayMetrics {
  observeRequest(labels: RequestLabels, seconds: number): void;
  consentDecision(rule: string, decision: ConsentDecision, count?: number): void;
  /** One committed audit batch: how many AuditEvents, and how long the append took. */
  observeAuditCommit(batchSize: number, seconds: number): void;
  /** An audit append that failed (the request was answered 503 with no data, A2). */
  auditFailure(): void;
  /** Reads pool use at scrape time. */
  watchPool(stats: () => PoolStats | undefined): void;
  contentType: string;
  render(): Promise<string>;
}

/** Interaction names outside the FHIR set collapse into one value so a client cannot grow the label space. */
const Safe = /^[A-Za-z$][A-Za-z0-9_$-]{0,63}$/;
const label = (v: string | undefined, fallback: string): string => (v && Safe.test(v) ? v : fallback);
/** Rule IDs of the spec (D1-D11, C1-C6, A1-A4, S1, P1-P2, F1-F4) or the compiled consent policy as a whole. */
const RuleId = /^([A-Z][0-9]{1,2}|policy)$/;

export function createMetrics(options: { prefix?: string; processMetrics?: boolean } = {}): GatewayMetrics {
  const p = options.prefix ?? 'kanta_';
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: p });

  const requests = new Counter({ name: `${p}fhir_requests_total`, help: 'FHIR requests by interaction, resource type and HTTP status', labelNames: ['interaction', 'resource_type', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: `${p}fhir_request_duration_seconds`,
    help: 'FHIR request latency by interaction and resource type',
    labelNames: ['interaction', 'resource_type'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const decisions = new Counter({ name: `${p}consent_decisions_total`, help: 'Consent decisions by rule ID: resources disclosed by the consent policy (rule policy), requests refused by a spec rule. Withheld records are not counted (D11)', labelNames: ['rule', 'decision'], registers: [registry] });
  const auditBatch = new Histogram({ name: `${p}audit_commit_batch_size`, help: 'AuditEvents per audit commit', buckets: [1, 2, 5, 10, 25, 50, 100, 250], registers: [registry] });
  const auditLatency = new Histogram({ name: `${p}audit_commit_duration_seconds`, help: 'Latency of appending an audit batch', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] });
  const auditFailures = new Counter({ name: `${p}audit_failures_total`, help: 'Audit appends that failed (answered 503, nothing released)', registers: [registry] });
  const pools: Array<() => PoolStats | undefined> = [];
  new Gauge({
    name: `${p}store_pool_connections`,
    help: 'Store connection pool: connections by state (total, idle, waiting clients, max)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const read of pools) {
        const s = read();
        if (!s) continue;
        for (const [state, v] of Object.entries(s)) this.inc({ state }, v);
      }
    },
  });

  return {
    observeRequest({ interaction, resourceType, status }, seconds) {
      const labels = { interaction: label(interaction, 'other'), resource_type: label(resourceType, 'none') };
      requests.inc({ ...labels, status: String(status) });
      latency.observe(labels, seconds);
    },
    consentDecision(rule, decision, count = 1) {
      // Typed out already; a value from untyped code still never opens a series of withheld records (D11).
      if (!ConsentDecisions.has(decision)) return;
      if (count > 0) decisions.inc({ rule: RuleId.test(rule) ? rule : 'other', decision }, count);
    },
    observeAuditCommit(batchSize, seconds) {
      auditBatch.observe(batchSize);
      auditLatency.observe(seconds);
    },
    auditFailure() {
      auditFailures.inc();
    },
    watchPool(stats) {
      pools.push(stats);
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
