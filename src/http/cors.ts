// CORS for browser apps on the configured origins only (off when none is configured). https://fetch.spec.whatwg.org/#http-cors-protocol
import cors from 'cors';

/** Headers a browser app must be able to read from FHIR answers. */
const Exposed = ['ETag', 'Last-Modified', 'Location', 'Content-Location', 'X-Request-Id', 'WWW-Authenticate', 'RateLimit', 'RateLimit-Policy', 'Retry-After'];
const Allowed = ['Authorization', 'Content-Type', 'Accept', 'Accept-Language', 'If-Match', 'If-None-Match', 'If-None-Exist', 'If-Modified-Since', 'Prefer', 'X-Request-Id'];

/** `origins` as configured (CORS_ORIGINS); '*' allows any origin, which is safe here because tokens travel in a header, not a cookie. */
export function corsFor(origins: readonly string[]) {
  if (origins.length === 0) return undefined;
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: Allowed,
    exposedHeaders: Exposed,
    maxAge: 600,
  });
}
