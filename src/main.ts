// Process entry: configuration, store, first-start bootstrap, listen, and a draining shutdown on SIGTERM/SIGINT.
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import pino from 'pino';
import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { resolveKeyring } from './config/secret-key.ts';
import { checkKeysAtStart } from './core/keys/rotation.ts';
import { ensureOperatorToken } from './core/tokens/operator-tokens.ts';
import { REDACT_PATHS } from './http/redact.ts';
import { systemClock } from './lib/clock.ts';
import { openStore } from './store/open-store.ts';
import { tracingRequested } from './telemetry/tracing-requested.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  // Before the store and the server are built: they add their spans only when tracing is on (ADR 0034).
  const stopTracing = tracingRequested(process.env)
    ? (await import('./telemetry/tracing.ts')).startTracing()
    : undefined;
  const logger = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
  const keys = resolveKeyring(config);
  if (keys.generatedAt) {
    logger.warn(
      { file: keys.generatedAt },
      'generated a secret key for encrypting secrets at rest; back it up with the database',
    );
  }
  const store = await openStore(
    config.database.kind === 'sqlite'
      ? { kind: 'sqlite', path: config.database.path }
      : { kind: 'postgres', url: config.database.url },
    { statementTimeoutMs: config.dbStatementTimeoutMs },
  );
  const keyCheck = await checkKeysAtStart({ keys: store.keys, keyring: keys.keyring });
  if (keyCheck.fatal) {
    await store.close();
    throw new ConfigError(keyCheck.fatal);
  }
  for (const warning of keyCheck.warnings) logger.warn(warning);
  const deps = { store, keyring: keys.keyring, clock: systemClock };
  const operatorToken = await ensureOperatorToken(deps, config.bootstrapToken !== undefined);
  const app = await createApp({ config, ...deps, logger });
  await app.listen({ port: config.port, host: config.host });
  if (operatorToken) {
    // Printed once, to the terminal only (not through the logger, whose output may be shipped elsewhere).
    process.stdout.write(
      `\nRoster operator token (shown once; keep it safe):\n\n  ${operatorToken}\n\nCreate a tenant:\n  curl -X POST ${config.publicUrl}/iam/v1/tenants -H 'Authorization: Bearer ${operatorToken}' -H 'Content-Type: application/json' -d '{"name":"Acme"}'\n\n`,
    );
  }
  logger.info({ url: config.publicUrl, store: store.kind }, 'roster is listening');

  let closing = false;
  // While draining, every response closes its connection, so a keep-alive client sends its next request on a new
  // connection (refused) instead of on one the server is about to close under it.
  app.server.on('request', (_req, res) => {
    if (closing && !res.headersSent) res.setHeader('connection', 'close');
  });
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'draining in-flight requests');
    const timer = setTimeout(() => {
      logger.error('shutdown grace period elapsed; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    await drain(app.server, Math.min(DRAIN_IDLE_MS, config.shutdownGraceMs / 4));
    await app.close();
    await store.close();
    await stopTracing?.().catch(() => undefined);
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** How long open keep-alive connections get to send what they already sent, before idle ones are closed. */
const DRAIN_IDLE_MS = 1_000;

/**
 * Stops accepting connections but keeps the open ones (http.Server#close would close the idle ones at once, and a
 * request a client has just written to one would meet a reset). Waits until they are gone or `windowMs` passed;
 * Fastify's close then ends the rest.
 */
async function drain(server: Server, windowMs: number): Promise<void> {
  NetServer.prototype.close.call(server);
  const until = Date.now() + windowMs;
  while (Date.now() < until) {
    const open = await new Promise<number>((ok) => server.getConnections((_e, n) => ok(n ?? 0)));
    if (open === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`roster: configuration error: ${error.message}\n`);
  } else {
    process.stderr.write(`roster: failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  }
  process.exit(1);
});
