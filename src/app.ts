// createApp(deps): the Express application with every dependency injected; no listening, no globals.
import type { CapabilityStatement } from '@medplum/fhirtypes';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { badRequest, OperationOutcomeError } from '@medplum/core';
import { requireJsonResponse } from './http/content-negotiation.js';
import { errorHandler } from './http/error-handler.js';
import { baseUrlOf, fhirEndpoint, type EndpointOptions } from './http/fhir-endpoint.js';
import { routeNotFound } from './http/http-outcomes.js';
import { sendOutcome } from './http/respond.js';
import type { RequestPipeline } from './pipeline/request-pipeline.js';
import { toOutcome } from './fhir/outcomes.js';

export interface DevTokenIssuer {
  mint(claims: Record<string, unknown>): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }>;
  /** Public keys of the development issuer, served so other verifiers can check its tokens. */
  jwks: object;
  /** Mints for a demo persona by id (`{"persona": "doctor-uusimaa"}`); unknown ids are a 400. */
  mintPersona?(id: string): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }>;
  /** The development authorization server's routes (persona picker, /authorize, OAuth /token), mounted at /auth/dev. */
  authorizationServer?: express.RequestHandler;
}

export interface AppDeps extends EndpointOptions {
  pipeline: RequestPipeline;
  capabilityStatement(baseUrl: string): CapabilityStatement;
  smartConfiguration(baseUrl: string): Record<string, unknown>;
  /** Present only when the development issuer is explicitly enabled. */
  devIssuer?: DevTokenIssuer;
  /** Maximum request body, e.g. '1mb'. */
  bodyLimit: string;
  log: { error(obj: object, msg: string): void };
  /** Extra middleware (rate limits, CORS, request logging) in order. */
  middleware?: express.RequestHandler[];
  /** Directory of the built web app (web/dist), served at /app when present. */
  webAppDir?: string;
  /** Bulk Data export status and file endpoints, mounted at /bulk-export (src/bulk-export/export-routes.ts). */
  bulkExport?: express.RequestHandler;
  /** Probes and metrics (/healthz, /readyz, /metrics), mounted ahead of the middleware: not rate-limited, logged or audited. */
  operations?: express.RequestHandler;
}

/** The web app loads only its own bundle and talks only to this origin. */
const WebAppCsp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

const JsonTypes = ['application/json', 'application/fhir+json', 'application/json+fhir', 'application/json-patch+json'];

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // FHIR responses carry the version's own ETag; hashing every other body (a Bundle, say) cost CPU for no client.
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"] } } }));
  if (deps.operations) app.use(deps.operations);
  for (const m of deps.middleware ?? []) app.use(m);
  // Before the body parsers: the OAuth server reads its own form bodies.
  if (deps.devIssuer?.authorizationServer) app.use('/auth/dev', deps.devIssuer.authorizationServer);
  app.use(express.json({ type: JsonTypes, limit: deps.bodyLimit, strict: false }));
  // A _search form is kept as text and parsed by the endpoint like a query string: qs would drop `__proto__`
  // silently and turn more than 20 repetitions into an object.
  app.use(express.text({ type: 'application/x-www-form-urlencoded', limit: deps.bodyLimit }));

  const smart: express.RequestHandler = (req, res) => {
    res.type('application/json').send(JSON.stringify(deps.smartConfiguration(baseUrlOf(req, deps.publicBaseUrl))));
  };
  app.get('/.well-known/smart-configuration', smart);
  app.get('/fhir/.well-known/smart-configuration', smart);

  app.get('/fhir/metadata', (req, res) => {
    try {
      requireJsonResponse(req.get('accept'), typeof req.query._format === 'string' ? req.query._format : undefined);
      res.type('application/fhir+json').send(JSON.stringify(deps.capabilityStatement(baseUrlOf(req, deps.publicBaseUrl))));
    } catch (err) {
      sendOutcome(res, toOutcome(err));
    }
  });

  // Right after the two /fhir routes above, which must win over it: the routes below are outside /fhir, and every FHIR
  // request would otherwise be matched against each of them first.
  const endpoint = fhirEndpoint(deps.pipeline, deps);
  app.all('/fhir', endpoint);
  app.all('/fhir/{*path}', endpoint);

  if (deps.devIssuer) {
    const issuer = deps.devIssuer;
    app.get('/auth/dev/jwks.json', (_req, res) => {
      res.json(issuer.jwks);
    });
    app.post('/auth/dev/token', async (req, res) => {
      try {
        if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
          throw new OperationOutcomeError(badRequest('The body must be a JSON object of claims'));
        }
        const body = req.body as Record<string, unknown>;
        const keys = Object.keys(body);
        if (keys.length === 1 && keys[0] === 'persona' && issuer.mintPersona) {
          if (typeof body.persona !== 'string') throw new OperationOutcomeError(badRequest('persona must be a string (a persona id from GET /auth/dev/personas)'));
          res.json(await issuer.mintPersona(body.persona));
          return;
        }
        res.json(await issuer.mint(body));
      } catch (err) {
        sendOutcome(res, toOutcome(err));
      }
    });
  }

  if (deps.webAppDir) {
    const dir = deps.webAppDir;
    app.use(
      '/app',
      (req, res, next) => {
        // Relative asset URLs need the trailing slash.
        if (!req.originalUrl.startsWith('/app/')) return res.redirect(301, `/app/${req.originalUrl.slice(4)}`);
        res.setHeader('Content-Security-Policy', WebAppCsp);
        next();
      },
      express.static(dir, { index: 'index.html', redirect: false, fallthrough: true }),
    );
  }

  if (deps.bulkExport) app.use('/bulk-export', deps.bulkExport);
  app.use((req, res) => sendOutcome(res, routeNotFound(req.path)));
  app.use(errorHandler(deps.log));
  return app;
}
