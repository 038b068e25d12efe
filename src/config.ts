// Typed gateway configuration from the environment (SPEC §7 operating contract), validated with ajv at start.
import { Ajv } from 'ajv';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ExportPageSize } from './bulk-export/export-jobs.js';

export interface GatewayConfig {
  port: number;
  host: string;
  /** postgres://... selects PostgreSQL; otherwise SQLite at `${dataDir}/gateway.db`. */
  databaseUrl?: string;
  dataDir: string;
  bodyLimit: string;
  publicBaseUrl?: string;
  auth: {
    issuers: string[];
    audience: string[];
    jwksFile?: string;
    jwksUri?: string;
    algorithms?: string[];
    /** The production identity provider's SMART endpoints, published in /.well-known/smart-configuration and /metadata. */
    authorizationEndpoint?: string;
    tokenEndpoint?: string;
    grantTypes?: string[];
    tokenEndpointAuthMethods?: string[];
  };
  /** Development token issuer (POST /auth/dev/token); never on unless asked. */
  devIssuer: boolean;
  /** Load the demo population at start when the store is empty. */
  demoData: boolean;
  corsOrigins: string[];
  /** Requests per minute per client address; 0 turns limiting off. */
  rateLimitPerMinute: number;
  logLevel: string;
  /** Key of an HMAC-SHA-256 audit hash chain (AUDIT_HMAC_KEY); audit:verify needs the same key. */
  auditHmacKey?: string;
  /** Bounds on what one request may ask for; over them the answer is 400 naming the limit. */
  limits: RequestLimits;
  /** PostgreSQL pool and timeouts (DATABASE_URL=postgres://...). */
  postgres: PostgresSettings;
  /** How long a SQLite write waits for another process's lock (e.g. `npm run import`) before 503. */
  sqliteBusyTimeoutMs: number;
  /** Retry-After (seconds) on 503 answers when the database is unavailable or busy. */
  retryAfterSeconds: number;
  /** METRICS_TOKEN: bearer token /metrics requires; unset = open (bind HOST to a private interface then). */
  metricsToken?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP collector base URL; traces are off without it. */
  otlpEndpoint?: string;
  /** REDIS_URL: the rate limit's counters live in Redis, shared by every gateway process. */
  redisUrl?: string;
  /** Key prefix of those counters (RATE_LIMIT_REDIS_PREFIX). */
  rateLimitRedisPrefix: string;
  /** EXPORT_PAGE_SIZE: resources a Bulk Data export job reads (and holds) per page. */
  exportPageSize: number;
  /** WORKERS: gateway processes (`node:cluster`) sharing the port and the store; 1 = this process serves alone. */
  workers: number;
}

export interface RequestLimits {
  /** Nesting depth of a JSON body (objects and arrays). */
  jsonDepth: number;
  /** Occurrences of one query parameter name. */
  paramRepeat: number;
  /** Comma-separated OR values in one parameter occurrence. */
  orValues: number;
  /** Links in a chained search parameter (`subject.organization.name` is 2). */
  chainDepth: number;
  /** Nested `_has` reverse chains. */
  hasDepth: number;
  /** Largest `_offset` of search and history paging. */
  maxOffset: number;
}

export interface PostgresSettings {
  poolSize: number;
  /** Server-side statement_timeout of every gateway connection. */
  statementTimeoutMs: number;
  /** How long to wait for a connection (new or from the pool) before the request answers 503. */
  connectionTimeoutMs: number;
  /** Statements one connection prepares under a name at most (0: none, e.g. behind a pooler that cannot keep them). */
  namedStatements: number;
}

/** The documented defaults (README "Limits"); each has an environment variable. */
export const DefaultLimits: RequestLimits = { jsonDepth: 64, paramRepeat: 20, orValues: 100, chainDepth: 4, hasDepth: 3, maxOffset: 100_000 };
export const DefaultPostgres: PostgresSettings = { poolSize: 10, statementTimeoutMs: 15_000, connectionTimeoutMs: 5_000, namedStatements: 200 };

const schema = {
  type: 'object',
  required: ['port', 'host', 'dataDir', 'bodyLimit', 'auth', 'devIssuer', 'demoData', 'corsOrigins', 'rateLimitPerMinute', 'logLevel', 'rateLimitRedisPrefix'],
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    host: { type: 'string', minLength: 1 },
    databaseUrl: { type: 'string', pattern: '^postgres(ql)?://' },
    dataDir: { type: 'string', minLength: 1 },
    bodyLimit: { type: 'string', pattern: '^[0-9]+(b|kb|mb)$' },
    publicBaseUrl: { type: 'string', pattern: '^https?://' },
    auth: {
      type: 'object',
      required: ['issuers', 'audience'],
      properties: {
        issuers: { type: 'array', items: { type: 'string' } },
        audience: { type: 'array', items: { type: 'string' } },
        jwksFile: { type: 'string' },
        jwksUri: { type: 'string', pattern: '^https?://' },
        algorithms: { type: 'array', items: { enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] } },
        authorizationEndpoint: { type: 'string', pattern: '^https?://' },
        tokenEndpoint: { type: 'string', pattern: '^https?://' },
        grantTypes: { type: 'array', items: { enum: ['authorization_code', 'client_credentials', 'refresh_token'] } },
        tokenEndpointAuthMethods: { type: 'array', items: { enum: ['private_key_jwt', 'client_secret_basic', 'client_secret_post', 'none'] } },
      },
    },
    devIssuer: { type: 'boolean' },
    demoData: { type: 'boolean' },
    corsOrigins: { type: 'array', items: { type: 'string' } },
    rateLimitPerMinute: { type: 'integer', minimum: 0 },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    auditHmacKey: { type: 'string', minLength: 16 },
    limits: {
      type: 'object',
      required: ['jsonDepth', 'paramRepeat', 'orValues', 'chainDepth', 'hasDepth', 'maxOffset'],
      properties: {
        jsonDepth: { type: 'integer', minimum: 8, maximum: 1000 },
        paramRepeat: { type: 'integer', minimum: 1, maximum: 1000 },
        orValues: { type: 'integer', minimum: 1, maximum: 10_000 },
        chainDepth: { type: 'integer', minimum: 1, maximum: 10 },
        hasDepth: { type: 'integer', minimum: 1, maximum: 10 },
        maxOffset: { type: 'integer', minimum: 0, maximum: 1_000_000_000 },
      },
    },
    postgres: {
      type: 'object',
      required: ['poolSize', 'statementTimeoutMs', 'connectionTimeoutMs', 'namedStatements'],
      properties: {
        poolSize: { type: 'integer', minimum: 1, maximum: 1000 },
        statementTimeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
        connectionTimeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
        namedStatements: { type: 'integer', minimum: 0, maximum: 10_000 },
      },
    },
    sqliteBusyTimeoutMs: { type: 'integer', minimum: 0, maximum: 600_000 },
    retryAfterSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
    metricsToken: { type: 'string', minLength: 16 },
    otlpEndpoint: { type: 'string', pattern: '^https?://' },
    redisUrl: { type: 'string', pattern: '^rediss?://' },
    rateLimitRedisPrefix: { type: 'string', minLength: 1, maxLength: 100 },
    workers: { type: 'integer', minimum: 1, maximum: 64 },
    exportPageSize: { type: 'integer', minimum: 1, maximum: 100_000 },
  },
} as const;

/** The environment variable behind each setting, so a message names what the operator has to change. */
const EnvNameOf: Record<string, string> = {
  '/port': 'PORT',
  '/host': 'HOST',
  '/databaseUrl': 'DATABASE_URL',
  '/dataDir': 'DATA_DIR',
  '/bodyLimit': 'BODY_LIMIT',
  '/publicBaseUrl': 'PUBLIC_BASE_URL',
  '/auth/issuers': 'AUTH_ISSUER',
  '/auth/audience': 'AUTH_AUDIENCE',
  '/auth/jwksFile': 'AUTH_JWKS_FILE',
  '/auth/jwksUri': 'AUTH_JWKS_URI',
  '/auth/algorithms': 'AUTH_ALGORITHMS',
  '/auth/authorizationEndpoint': 'AUTH_AUTHORIZATION_ENDPOINT',
  '/auth/tokenEndpoint': 'AUTH_TOKEN_ENDPOINT',
  '/auth/grantTypes': 'AUTH_GRANT_TYPES',
  '/auth/tokenEndpointAuthMethods': 'AUTH_TOKEN_ENDPOINT_AUTH_METHODS',
  '/corsOrigins': 'CORS_ORIGINS',
  '/rateLimitPerMinute': 'RATE_LIMIT_PER_MINUTE',
  '/logLevel': 'LOG_LEVEL',
  '/auditHmacKey': 'AUDIT_HMAC_KEY',
  '/metricsToken': 'METRICS_TOKEN',
  '/otlpEndpoint': 'OTEL_EXPORTER_OTLP_ENDPOINT',
  '/redisUrl': 'REDIS_URL',
  '/rateLimitRedisPrefix': 'RATE_LIMIT_REDIS_PREFIX',
  '/limits/jsonDepth': 'LIMIT_JSON_DEPTH',
  '/limits/paramRepeat': 'LIMIT_PARAM_REPEAT',
  '/limits/orValues': 'LIMIT_OR_VALUES',
  '/limits/chainDepth': 'LIMIT_CHAIN_DEPTH',
  '/limits/hasDepth': 'LIMIT_HAS_DEPTH',
  '/limits/maxOffset': 'LIMIT_OFFSET',
  '/postgres/poolSize': 'PG_POOL_SIZE',
  '/postgres/statementTimeoutMs': 'PG_STATEMENT_TIMEOUT_MS',
  '/postgres/connectionTimeoutMs': 'PG_CONNECTION_TIMEOUT_MS',
  '/postgres/namedStatements': 'PG_NAMED_STATEMENTS',
  '/sqliteBusyTimeoutMs': 'SQLITE_BUSY_TIMEOUT_MS',
  '/retryAfterSeconds': 'DB_RETRY_AFTER_SECONDS',
  '/workers': 'WORKERS',
  '/exportPageSize': 'EXPORT_PAGE_SIZE',
};
const Secret = new Set(['AUDIT_HMAC_KEY', 'METRICS_TOKEN', 'DATABASE_URL', 'REDIS_URL']);

const list = (v: string | undefined): string[] => (v ?? '').split(/[\s,]+/).filter(Boolean);
const flag = (v: string | undefined): boolean => v === '1' || v === 'true' || v === 'yes';
/** A whole number from the environment, or NaN (which the schema then names) for anything else. */
const int = (v: string | undefined, dflt: number): number => (v === undefined || v === '' ? dflt : /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN);

export function loadConfig(env: NodeJS.ProcessEnv, argv: string[] = []): GatewayConfig {
  const demo = argv.includes('--demo');
  const port = Number(env.PORT ?? 8080);
  const selfIssuer = `http://localhost:${port}/auth/dev`;
  const config: GatewayConfig = {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR ?? './data',
    bodyLimit: env.BODY_LIMIT ?? '1mb',
    publicBaseUrl: env.PUBLIC_BASE_URL || undefined,
    auth: {
      issuers: list(env.AUTH_ISSUER).length ? list(env.AUTH_ISSUER) : [selfIssuer],
      audience: list(env.AUTH_AUDIENCE).length ? list(env.AUTH_AUDIENCE) : ['kanta-gateway'],
      jwksFile: env.AUTH_JWKS_FILE || undefined,
      jwksUri: env.AUTH_JWKS_URI || undefined,
      algorithms: list(env.AUTH_ALGORITHMS).length ? list(env.AUTH_ALGORITHMS) : undefined,
      authorizationEndpoint: env.AUTH_AUTHORIZATION_ENDPOINT || undefined,
      tokenEndpoint: env.AUTH_TOKEN_ENDPOINT || undefined,
      grantTypes: list(env.AUTH_GRANT_TYPES).length ? list(env.AUTH_GRANT_TYPES) : undefined,
      tokenEndpointAuthMethods: list(env.AUTH_TOKEN_ENDPOINT_AUTH_METHODS).length ? list(env.AUTH_TOKEN_ENDPOINT_AUTH_METHODS) : undefined,
    },
    devIssuer: demo || flag(env.DEV_ISSUER),
    demoData: demo || flag(env.DEMO_DATA),
    corsOrigins: list(env.CORS_ORIGINS),
    rateLimitPerMinute: Number(env.RATE_LIMIT_PER_MINUTE ?? 6000),
    logLevel: env.LOG_LEVEL ?? 'info',
    auditHmacKey: env.AUDIT_HMAC_KEY || undefined,
    limits: {
      jsonDepth: int(env.LIMIT_JSON_DEPTH, DefaultLimits.jsonDepth),
      paramRepeat: int(env.LIMIT_PARAM_REPEAT, DefaultLimits.paramRepeat),
      orValues: int(env.LIMIT_OR_VALUES, DefaultLimits.orValues),
      chainDepth: int(env.LIMIT_CHAIN_DEPTH, DefaultLimits.chainDepth),
      hasDepth: int(env.LIMIT_HAS_DEPTH, DefaultLimits.hasDepth),
      maxOffset: int(env.LIMIT_OFFSET, DefaultLimits.maxOffset),
    },
    postgres: {
      poolSize: int(env.PG_POOL_SIZE, DefaultPostgres.poolSize),
      statementTimeoutMs: int(env.PG_STATEMENT_TIMEOUT_MS, DefaultPostgres.statementTimeoutMs),
      connectionTimeoutMs: int(env.PG_CONNECTION_TIMEOUT_MS, DefaultPostgres.connectionTimeoutMs),
      namedStatements: int(env.PG_NAMED_STATEMENTS, DefaultPostgres.namedStatements),
    },
    sqliteBusyTimeoutMs: int(env.SQLITE_BUSY_TIMEOUT_MS, 5000),
    retryAfterSeconds: int(env.DB_RETRY_AFTER_SECONDS, 5),
    metricsToken: env.METRICS_TOKEN || undefined,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    redisUrl: env.REDIS_URL || undefined,
    rateLimitRedisPrefix: env.RATE_LIMIT_REDIS_PREFIX ?? 'kanta-gateway:rate-limit:',
    workers: int(env.WORKERS, 1),
    exportPageSize: int(env.EXPORT_PAGE_SIZE, ExportPageSize),
  };
  const ajv = new Ajv({ allErrors: true });
  if (!ajv.validate(schema, config)) {
    const problems = (ajv.errors ?? []).map((e) => {
      const path = e.instancePath.replace(/\/\d+$/, '');
      const name = EnvNameOf[path] ?? path;
      // Secrets are never echoed back into the log.
      const given = Secret.has(name) ? '' : ` (got ${JSON.stringify(env[name] ?? '')})`;
      return `${name} ${e.message ?? 'is invalid'}${given}`;
    });
    throw new Error(`Invalid configuration: ${[...new Set(problems)].join('; ')}`);
  }
  if (config.auth.jwksFile && !existsSync(config.auth.jwksFile)) throw new Error(`Invalid configuration: AUTH_JWKS_FILE ${config.auth.jwksFile} does not exist`);
  if (config.auth.grantTypes && !config.auth.tokenEndpoint && !config.devIssuer) throw new Error('Invalid configuration: AUTH_GRANT_TYPES needs AUTH_TOKEN_ENDPOINT');
  // Each process would mint with its own key (and keep its own login sessions): a token from one worker fails on the next.
  if (config.workers > 1 && config.devIssuer) {
    throw new Error('Invalid configuration: WORKERS above 1 needs AUTH_JWKS_FILE or AUTH_JWKS_URI; the development issuer (DEV_ISSUER, --demo) keeps its signing key in one process');
  }
  // Checked here, before any data directory or database is touched, not after the store has opened.
  if (!config.devIssuer && !config.auth.jwksFile && !config.auth.jwksUri) {
    throw new Error('no token keys are configured: set AUTH_JWKS_FILE or AUTH_JWKS_URI (or DEV_ISSUER=1 for development)');
  }
  return config;
}

export function sqlitePath(config: Pick<GatewayConfig, 'dataDir'>): string {
  return join(config.dataDir, 'gateway.db');
}
