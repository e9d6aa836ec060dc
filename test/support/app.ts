// Builds a Roster app on a fresh store of the given kind, with a fixed clock and a bootstrap operator token.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { type Clock, fixedClock, systemClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { type OpenedStore, openStore, type StoreLocation } from '../../src/store/open-store.ts';
import { openTestStore, type StoreKind, type TestStore } from './stores.ts';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789-abcdefghijklmnop';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly db: TestStore;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly secretKey: string;
  dispose(): Promise<void>;
}

export async function startTestApp(
  kind: StoreKind,
  env: Record<string, string> = {},
  logger: Logger | false = false,
): Promise<TestApp> {
  const db = await openTestStore(kind);
  const secretKey = env.ROSTER_SECRET_KEY ?? generateKeyText('k1');
  const config = loadConfig({
    ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
    ROSTER_SECRET_KEY: secretKey,
    ROSTER_PUBLIC_URL: 'https://roster.test',
    DATABASE_URL: db.location.kind === 'sqlite' ? `sqlite:${db.location.path}` : db.location.url,
    // The test clock stands still, so buckets never refill: suites get room, the rate-limit test sets its own.
    ROSTER_SCIM_BURST_TENANT: '1000000',
    ROSTER_SCIM_BURST_TOKEN: '1000000',
    ROSTER_AUTH_FAILURE_BURST: '1000000',
    ...env,
  });
  const clock = fixedClock('2026-11-23T10:00:00.000Z');
  const app = await createApp({ config, store: db.store, keyring: parseKeyring(secretKey), clock, logger });
  await app.ready();
  return {
    app,
    db,
    clock,
    secretKey,
    async dispose() {
      await app.close();
      await db.dispose();
    },
  };
}

export interface LiveApp {
  readonly app: FastifyInstance;
  readonly store: OpenedStore;
  /** http://127.0.0.1:port */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Roster on an existing store location, listening on a loopback port with the system clock, as a process would
 * run it (config from `env`, statement timeout included). Fault tests use it on databases they break on purpose.
 */
export async function startLiveApp(
  location: StoreLocation,
  env: Record<string, string> = {},
  clock: Clock = systemClock,
): Promise<LiveApp> {
  const config = loadConfig({
    ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
    ROSTER_SECRET_KEY: generateKeyText('k1'),
    DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
    ROSTER_SCIM_BURST_TENANT: '1000000',
    ROSTER_SCIM_BURST_TOKEN: '1000000',
    ...env,
  });
  const store = await openStore(location, { statementTimeoutMs: config.dbStatementTimeoutMs });
  const app = await createApp({ config, store, keyring: parseKeyring(config.secretKey!), clock, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return {
    app,
    store,
    origin: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export interface CallOptions {
  readonly token?: string | undefined;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  options: CallOptions = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  return app.inject({
    method,
    url,
    headers,
    ...(options.body !== undefined
      ? { payload: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  });
}

/** The SSO provider body exactly as seed 001 prints it. */
export const SEED_001_PROVIDER = {
  scheme: 'string',
  displayName: 'string',
  enabled: true,
  type: 'oidc',
  properties: {
    loginEnabled: true,
    visible: true,
    delegationEnabled: false,
    autoProvisioningEnabled: true,
    clientId: 'my-client-id',
    clientSecret: 'my-client-secret',
    usePkce: true,
    authority: 'https://login.microsoftonline.com/{TenantId}/v2.0',
    responseType: 'code',
    scope: 'openid profile email',
  },
} as const;

export async function createTenant(app: FastifyInstance, name = 'Acme'): Promise<{ id: string; adminToken: string }> {
  const res = await call(app, 'POST', '/iam/v1/tenants', { token: OPERATOR_TOKEN, body: { name } });
  if (res.statusCode !== 201) throw new Error(`tenant create failed: ${res.statusCode} ${res.body}`);
  return res.json();
}
