// Typed gateway configuration from the environment (SPEC §7 operating contract), validated with ajv at start.
import { Ajv } from 'ajv';
import { join } from 'node:path';

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
  /** METRICS_TOKEN: bearer token /metrics requires; unset = open (bind HOST to a private interface then). */
  metricsToken?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP collector base URL; traces are off without it. */
  otlpEndpoint?: string;
}

const schema = {
  type: 'object',
  required: ['port', 'host', 'dataDir', 'bodyLimit', 'auth', 'devIssuer', 'demoData', 'corsOrigins', 'rateLimitPerMinute', 'logLevel'],
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
        algorithms: { type: 'array', items: { type: 'string' } },
      },
    },
    devIssuer: { type: 'boolean' },
    demoData: { type: 'boolean' },
    corsOrigins: { type: 'array', items: { type: 'string' } },
    rateLimitPerMinute: { type: 'integer', minimum: 0 },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    auditHmacKey: { type: 'string', minLength: 16 },
    metricsToken: { type: 'string', minLength: 16 },
    otlpEndpoint: { type: 'string', pattern: '^https?://' },
  },
} as const;

const list = (v: string | undefined): string[] => (v ?? '').split(/[\s,]+/).filter(Boolean);
const flag = (v: string | undefined): boolean => v === '1' || v === 'true' || v === 'yes';

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
    },
    devIssuer: demo || flag(env.DEV_ISSUER),
    demoData: demo || flag(env.DEMO_DATA),
    corsOrigins: list(env.CORS_ORIGINS),
    rateLimitPerMinute: Number(env.RATE_LIMIT_PER_MINUTE ?? 6000),
    logLevel: env.LOG_LEVEL ?? 'info',
    auditHmacKey: env.AUDIT_HMAC_KEY || undefined,
    metricsToken: env.METRICS_TOKEN || undefined,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
  };
  const ajv = new Ajv({ allErrors: true });
  if (!ajv.validate(schema, config)) {
    throw new Error(`Invalid configuration: ${ajv.errorsText(ajv.errors)}`);
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
