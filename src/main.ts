// Process entry: load config, open the store, listen, and shut down gracefully on SIGTERM/SIGINT.
import { loadConfig } from './config.js';
import { createGateway } from './gateway.js';
import { answerClientErrors } from './http/client-error.js';
import { createLogger } from './logger.js';
import { seedDemoAccesses } from './demo/seed-demo-accesses.js';

async function start() {
  try {
    const config = loadConfig(process.env, process.argv.slice(2));
    const log = createLogger(config.logLevel);
    return { config, log, gateway: await createGateway({ config, log }) };
  } catch (err) {
    // A misconfiguration is a one-line message, not a stack trace.
    createLogger('info').fatal(`Kanta FHIR Gateway cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
}

const { config, log, gateway } = await start();
const server = gateway.app.listen(config.port, config.host, () => {
  log.info({ port: config.port, host: config.host, store: config.databaseUrl ? 'postgres' : 'sqlite' }, `Kanta FHIR Gateway listening on http://${config.host}:${config.port}/fhir`);
  log.info(`Web app: http://${config.host}:${config.port}/app`);
  const issuer = gateway.devIssuer;
  if (gateway.demoLoaded && issuer) void seedDemoAccesses(`http://${config.host}:${config.port}`, (id) => issuer.mintPersona(id), log);
});
answerClientErrors(server);

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
