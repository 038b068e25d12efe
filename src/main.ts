// Process entry: validate config, claim the port, then open the store and serve; shut down gracefully on SIGTERM/SIGINT.
import cluster from 'node:cluster';
import { createServer, type RequestListener } from 'node:http';
import { runClusterPrimary, WorkerReady } from './cluster-primary.js';
import { loadConfig } from './config.js';
import { createGateway, type Gateway } from './gateway.js';
import { answerClientErrors } from './http/client-error.js';
import { createLogger } from './logger.js';
import { seedDemoAccesses } from './demo/seed-demo-accesses.js';

const demo = process.argv.includes('--demo');

/** One line and a non-zero exit: a misconfiguration or a taken port is not a stack trace. */
function fail(message: string): never {
  createLogger('info', { pretty: demo }).fatal(`Kanta FHIR Gateway cannot start: ${message}`);
  process.exit(1);
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): string {
  if (err.code === 'EADDRINUSE') return `${host}:${port} is already in use (EADDRINUSE); another process is listening there`;
  if (err.code === 'EACCES') return `no permission to listen on ${host}:${port} (EACCES); use a port above 1023 or grant the capability`;
  if (err.code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine (EADDRNOTAVAIL)`;
  return `cannot listen on ${host}:${port}: ${err.message}`;
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (err) {
  fail((err as Error).message);
}
const log = createLogger(config.logLevel, { pretty: demo });

if (config.workers > 1 && cluster.isPrimary) {
  runClusterPrimary(config.workers, log);
} else {
  await serve(config);
}

async function serve(config: ReturnType<typeof loadConfig>): Promise<void> {
  // The port is claimed before any data is created or opened, so a second process on a taken port changes nothing.
  let handler: RequestListener | undefined;
  const server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' }).end('{"status":"starting"}');
  });
  answerClientErrors(server);
  await new Promise<void>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => fail(listenError(err, config.host, config.port)));
    server.listen(config.port, config.host, () => resolve());
  });

  let gateway: Gateway;
  try {
    gateway = await createGateway({ config, log });
  } catch (err) {
    server.close();
    fail((err as Error).message);
  }
  handler = gateway.app;
  server.on('error', (err) => log.error({ err: (err as Error).message }, 'server error'));
  log.info({ port: config.port, host: config.host, store: config.databaseUrl ? 'postgres' : 'sqlite' }, `Kanta FHIR Gateway listening on http://${config.host}:${config.port}/fhir`);
  log.info(`Web app: http://${config.host}:${config.port}/app`);
  const issuer = gateway.devIssuer;
  if (gateway.demoLoaded && issuer) void seedDemoAccesses(`http://${config.host}:${config.port}`, (id) => issuer.mintPersona(id), log);

  let stopping = false;
  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    // close() stops accepting and waits for in-flight requests; the store closes only after them.
    server.close(async () => {
      await gateway.close();
      log.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      log.error('in-flight requests did not finish in 10 s; exiting');
      process.exit(1);
    }, 10_000).unref();
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (cluster.isWorker) process.send?.(WorkerReady);
}
