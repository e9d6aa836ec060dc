// Process entry: configuration, store, first-start bootstrap, listen, and a draining shutdown on SIGTERM/SIGINT.
import pino from 'pino';
import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { resolveKeyring } from './config/secret-key.ts';
import { checkKeysAtStart } from './core/keys/rotation.ts';
import { ensureOperatorToken } from './core/tokens/operator-tokens.ts';
import { ConnectionDrain } from './http/drain.ts';
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
  const connections = new ConnectionDrain(app.server);
  await app.listen({ port: config.port, host: config.host });
  if (operatorToken) {
    // Printed once, to the terminal only (not through the logger, whose output may be shipped elsewhere).
    process.stdout.write(
      `\nRoster operator token (shown once; keep it safe):\n\n  ${operatorToken}\n\nCreate a tenant:\n  curl -X POST ${config.publicUrl}/iam/v1/tenants -H 'Authorization: Bearer ${operatorToken}' -H 'Content-Type: application/json' -d '{"name":"Acme"}'\n\n`,
    );
  }
  logger.info({ url: config.publicUrl, store: store.kind }, 'roster is listening');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'draining in-flight requests');
    const timer = setTimeout(() => {
      logger.error('shutdown grace period elapsed; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    const quarter = config.shutdownGraceMs / 4;
    await connections.drain({ openWindowMs: Math.min(DRAIN_WINDOW_MS, quarter), lingerMs: quarter });
    // No connection is left: Fastify's close runs its onClose hooks (the provisioning log is flushed there).
    await app.close();
    await store.close();
    await stopTracing?.().catch(() => undefined);
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * How long connections open at the signal keep being served (with Connection: close) before quiet ones are ended
 * (ADR 0054). A client then gets a quarter of the grace period to close its side after the FIN.
 */
const DRAIN_WINDOW_MS = 1_000;

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`roster: configuration error: ${error.message}\n`);
  } else {
    process.stderr.write(`roster: failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  }
  process.exit(1);
});
