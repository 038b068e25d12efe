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
}

const JsonTypes = ['application/json', 'application/fhir+json', 'application/json+fhir', 'application/json-patch+json'];

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"] } } }));
  for (const m of deps.middleware ?? []) app.use(m);
  app.use(express.json({ type: JsonTypes, limit: deps.bodyLimit, strict: false }));
  app.use(express.urlencoded({ extended: false, limit: deps.bodyLimit }));

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
        res.json(await issuer.mint(req.body as Record<string, unknown>));
      } catch (err) {
        sendOutcome(res, toOutcome(err));
      }
    });
  }

  const endpoint = fhirEndpoint(deps.pipeline, deps);
  app.all('/fhir', endpoint);
  app.all('/fhir/{*path}', endpoint);
  app.use((req, res) => sendOutcome(res, routeNotFound(req.path)));
  app.use(errorHandler(deps.log));
  return app;
}
