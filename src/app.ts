// Composition root: the only module that wires config, store, core and the HTTP surfaces together.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import { bootstrapDigestOf } from './core/auth/principal.ts';
import { adminPlugin, registerOpenApi } from './http/admin/plugin.ts';
import { createServer } from './http/server.ts';
import type { Clock } from './lib/clock.ts';
import type { Keyring } from './lib/keyring.ts';
import type { OpenedStore } from './store/open-store.ts';

export interface AppDeps {
  readonly config: Config;
  readonly store: OpenedStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly logger: Logger | false;
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store, keyring, clock } = deps;
  const server = createServer({
    logger: deps.logger,
    bodyLimit: config.limits.adminBodyBytes,
    isStoreUnavailable: (error) => store.isUnavailable(error),
    ping: () => store.ping(),
  });
  const coreDeps = {
    store,
    keyring,
    clock,
    bootstrapDigest: config.bootstrapToken ? bootstrapDigestOf({ keyring }, config.bootstrapToken) : undefined,
  };
  await registerOpenApi(server, config.publicUrl);
  await server.register(adminPlugin, { prefix: '/iam/v1', ...coreDeps, publicUrl: config.publicUrl });
  return server;
}
