// The pipeline's telemetry port (src/pipeline/ports.ts) over the gateway's metrics and tracing.
import type { PipelineTelemetry } from '../pipeline/ports.js';
import type { GatewayMetrics } from './metrics.js';
import type { Tracing } from './tracing.js';

export function createTelemetry(metrics: GatewayMetrics, tracing: Tracing): PipelineTelemetry {
  return {
    span: (name, fn) => tracing.span(name, fn),
    annotate: (route) => tracing.annotate(route),
    observeRequest: (labels, seconds) => metrics.observeRequest(labels, seconds),
    consentDecision: (rule, decision, count) => metrics.consentDecision(rule, decision, count),
    observeAuditCommit: (batchSize, seconds) => metrics.observeAuditCommit(batchSize, seconds),
    auditFailure: () => metrics.auditFailure(),
  };
}
