// Per-client request rate limit (express-rate-limit, keyed by client address); over the limit: 429 OperationOutcome. https://hl7.org/fhir/R4/http.html
import { tooManyRequests } from '@medplum/core';
import { rateLimit, type AugmentedRequest, type Store } from 'express-rate-limit';
import { sendOutcome } from './respond.js';

/**
 * `perMinute` 0 turns limiting off (undefined: nothing to mount). `store`: shared counters (Redis); when that store
 * fails mid-flight requests pass rather than all failing, since the limit protects capacity, not data.
 */
export function rateLimitPerClient(perMinute: number, store?: Store) {
  if (perMinute <= 0) return undefined;
  return rateLimit({
    windowMs: 60_000,
    ...(store ? { store, passOnStoreError: true } : {}),
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res) => {
      const reset = (req as AugmentedRequest).rateLimit?.resetTime;
      res.set('Retry-After', String(reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60));
      sendOutcome(res, { ...tooManyRequests, issue: [{ ...tooManyRequests.issue![0], details: { text: `Too many requests: at most ${perMinute} per minute per client` } }] });
    },
  });
}
