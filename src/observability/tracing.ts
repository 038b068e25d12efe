// OpenTelemetry traces: a SERVER span per request (parent from W3C traceparent) and child spans for the pipeline's steps. https://www.w3.org/TR/trace-context/
import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { RequestHandler } from 'express';

export interface Tracing {
  readonly enabled: boolean;
  /** Express middleware opening the request's span; undefined when tracing is off. */
  middleware(): RequestHandler | undefined;
  /** Runs `fn` in a child span of the current one (just `fn` when tracing is off). */
  span<T>(name: string, fn: () => Promise<T>, attributes?: Attributes): Promise<T>;
  /** Names the current request span after the FHIR route, e.g. `read Patient` (closed-set values only). */
  annotate(attributes: { interaction: string; resourceType?: string }): void;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: spans go to `${endpoint}/v1/traces` over OTLP/HTTP. */
  endpoint?: string;
  /** A given exporter (tests: InMemorySpanExporter), exported synchronously per span. */
  exporter?: SpanExporter;
  serviceName?: string;
  version?: string;
}

const Off: Tracing = {
  enabled: false,
  middleware: () => undefined,
  span: (_name, fn) => fn(),
  annotate: () => undefined,
  shutdown: async () => undefined,
};

/**
 * The OpenTelemetry API keeps the context manager process-wide by design; it only carries the active span across
 * awaits, so every gateway of a process shares one (the API refuses a second registration, which is harmless).
 */
function ensureContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/**
 * Spans carry only closed-set values (method, interaction, resource type, status): never the path (it may hold
 * an id or a HETU), the query, the body, names or token claims.
 */
export function createTracing(options: TracingOptions): Tracing {
  if (!options.endpoint && !options.exporter) return Off;
  ensureContextManager();
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'kanta-fhir-gateway', 'service.version': options.version ?? '0' }),
    spanProcessors: [processor],
  });
  const tracer: Tracer = provider.getTracer('kanta-fhir-gateway');
  const propagator = new W3CTraceContextPropagator();

  return {
    enabled: true,
    middleware() {
      return (req, res, next) => {
        const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
        const span = tracer.startSpan(`${req.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
        const active = trace.setSpan(parent, span);
        // W3C Trace Context level 2: the caller learns which trace its request joined.
        const carrier: Record<string, string> = {};
        propagator.inject(active, carrier, defaultTextMapSetter);
        if (carrier.traceparent) res.setHeader('traceresponse', carrier.traceparent);
        res.on('finish', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        });
        context.with(active, next);
      };
    },
    span(name, fn, attributes) {
      return tracer.startActiveSpan(name, { attributes }, async (s) => {
        try {
          return await fn();
        } catch (err) {
          s.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          s.end();
        }
      });
    },
    annotate({ interaction, resourceType }) {
      const span = trace.getActiveSpan();
      if (!span) return;
      span.setAttribute('fhir.interaction', interaction);
      if (resourceType) span.setAttribute('fhir.resource_type', resourceType);
    },
    shutdown: () => provider.shutdown(),
  };
}
