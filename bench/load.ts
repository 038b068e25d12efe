// Drives one URL with autocannon for a bounded time and reduces the result to the figures the report needs.
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Seconds the load runs; the whole run is bounded by the sum of these. */
  duration: number;
  connections: number;
  expect: number;
  /** Called once a second while the load runs (memory sampling). */
  onTick?: () => void;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  /** Socket errors, timeouts and answers with a status other than the expected one. */
  errors: number;
  statusCounts: Record<string, number>;
}

export async function drive(o: LoadOptions): Promise<LoadResult> {
  const tick = o.onTick ? setInterval(o.onTick, 1000) : undefined;
  try {
    const r = await autocannon({
      url: o.url,
      method: o.method,
      headers: o.headers,
      body: o.body,
      duration: o.duration,
      connections: o.connections,
      timeout: 10,
    });
    const statusCounts: Record<string, number> = {};
    for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCounts[code] = (s as { count: number }).count;
    const wrong = Object.entries(statusCounts).filter(([code]) => Number(code) !== o.expect).reduce((n, [, c]) => n + c, 0);
    return {
      requestsPerSecond: r.requests.average,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      maxMs: r.latency.max,
      requests: r.requests.total,
      errors: r.errors + r.timeouts + wrong,
      statusCounts,
    };
  } finally {
    if (tick) clearInterval(tick);
  }
}
