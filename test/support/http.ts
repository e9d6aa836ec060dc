// One client shape over three kinds of target: an app in this process through inject(), an app in this process
// listening on a loopback port, and separate Roster processes sharing one PostgreSQL database. Concurrency tests
// use the listening kinds, so requests really overlap on sockets, the event loop and the database.
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { generateKeyText } from '../../src/lib/keyring.ts';
import { openStore } from '../../src/store/open-store.ts';
import { OPERATOR_TOKEN, SEED_001_PROVIDER, startTestApp } from './app.ts';
import { bundleMain } from './bundle-main.ts';
import { freePort } from './free-port.ts';
import { type RosterProcess, startRoster } from './process.ts';
import { freshLocation, type StoreKind } from './stores.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Res {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  json(): any;
}

export interface SendOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Which instance to send to (modulo the number of instances); round-robin when absent. */
  readonly via?: number;
}

export interface Client {
  /** How many separate app instances answer (2 for the multi-process target). */
  readonly instances: number;
  send(method: HttpMethod, path: string, options?: SendOptions): Promise<Res>;
}

function response(status: number, headers: Record<string, string | undefined>, body: string): Res {
  return {
    status,
    headers,
    body,
    json: () => JSON.parse(body),
  };
}

function headersFor(options: SendOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return { ...headers, ...options.headers };
}

function payloadOf(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

export function injectClient(app: FastifyInstance): Client {
  return {
    instances: 1,
    async send(method, path, options = {}) {
      const payload = payloadOf(options.body);
      const res = await app.inject({
        method,
        url: path,
        headers: headersFor(options),
        ...(payload !== undefined ? { payload } : {}),
      });
      return response(res.statusCode, res.headers as Record<string, string | undefined>, res.body);
    },
  };
}

/** Real HTTP over keep-alive connections (up to `connections` per instance) to loopback origins. */
export function httpClient(origins: readonly string[], connections = 64): Client & { close(): Promise<void> } {
  const agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 10_000 });
  let next = 0;
  return {
    instances: origins.length,
    async send(method, path, options = {}) {
      const index = options.via ?? next++;
      const origin = origins[index % origins.length];
      const res = await request(`${origin}${path}`, {
        method,
        headers: headersFor(options),
        body: payloadOf(options.body) ?? null,
        dispatcher: agent,
      });
      const body = await res.body.text();
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return response(res.statusCode, headers, body);
    },
    close: () => agent.close(),
  };
}

export interface Target {
  readonly name: string;
  readonly client: Client;
  readonly kind: StoreKind;
  /** Opens a connection to the target's database (for dumps and checks), closed by the caller. */
  openDb(): Promise<Awaited<ReturnType<typeof openStore>>>;
  dispose(): Promise<void>;
}

/** An app on a fresh store in this process, listening on 127.0.0.1 (`listen`) or reached through inject(). */
export async function inProcessTarget(kind: StoreKind, mode: 'listen' | 'inject'): Promise<Target> {
  const t = await startTestApp(kind);
  let client: Client;
  let close = async () => {};
  if (mode === 'listen') {
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const http = httpClient([address]);
    client = http;
    close = () => http.close();
  } else {
    client = injectClient(t.app);
  }
  return {
    name: `${kind}${mode === 'listen' ? ' over HTTP' : ''}`,
    client,
    kind,
    openDb: async () => {
      // The app's own store: closing it would stop the app, so hand out a view whose close is a no-op.
      return { ...t.db.store, close: async () => {} } as Awaited<ReturnType<typeof openStore>>;
    },
    async dispose() {
      await close();
      await t.dispose();
    },
  };
}

async function startProcess(env: Record<string, string>, entry?: string): Promise<RosterProcess> {
  return startRoster(
    {
      ...env,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // Room for test traffic from one address; the rate-limit suite tests the limits themselves.
      ROSTER_SCIM_BURST_TENANT: '1000000',
      ROSTER_SCIM_BURST_TOKEN: '1000000',
      ROSTER_AUTH_FAILURE_BURST: '1000000',
      ROSTER_SCIM_RATE_TENANT: '1000000',
      ROSTER_SCIM_RATE_TOKEN: '1000000',
      ROSTER_AUTH_FAILURE_RATE: '1000000',
    },
    entry,
  );
}

let bundles = 0;

/**
 * Two Roster processes on one fresh PostgreSQL database: nothing shared but the database and the secret key.
 * Requests alternate between them unless a test names the instance.
 */
export async function twoProcessTarget(
  extraEnv: Record<string, string> = {},
): Promise<Target & { processes: readonly RosterProcess[] }> {
  const { location, drop } = await freshLocation('postgres');
  if (location.kind !== 'postgres') throw new Error('postgres only');
  // Migrate once up front, so the two processes start on a ready schema; meanwhile bundle src/main.ts, from which a
  // process starts about 1.7 times as fast as through tsx (test/support/bundle-main.ts).
  const [main] = await Promise.all([
    bundleMain(`roster-two-processes-${++bundles}`),
    openStore(location).then((store) => store.close()),
  ]);
  const env = {
    DATABASE_URL: location.url,
    ROSTER_SECRET_KEY: generateKeyText('k1'),
    ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
    ...extraEnv,
  };
  const processes = await Promise.all([startProcess(env, main.entry), startProcess(env, main.entry)]);
  const http = httpClient(processes.map((p) => p.origin));
  return {
    name: 'postgres, two processes',
    client: http,
    kind: 'postgres',
    processes,
    openDb: () => openStore(location),
    async dispose() {
      await http.close();
      await Promise.all(
        processes.map((p) => {
          if (p.child.exitCode === null) p.child.kill('SIGTERM');
          return p.exited();
        }),
      );
      await drop();
      main.remove();
    },
  };
}

export interface TenantHandles {
  readonly tenantId: string;
  readonly adminToken: string;
  readonly scimToken: string;
  readonly scimTokenId: string;
  readonly base: string;
}

/** A tenant with an Entra-style provider (scheme `entra`) and one SCIM token, created through `client`. */
export async function makeTenant(client: Client, name: string): Promise<TenantHandles> {
  const tenant = await client.send('POST', '/iam/v1/tenants', { token: OPERATOR_TOKEN, body: { name } });
  if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status} ${tenant.body}`);
  const { id, adminToken } = tenant.json();
  const provider = await client.send('POST', '/iam/v1/sso/azuread', {
    token: adminToken,
    body: { ...SEED_001_PROVIDER, scheme: 'entra' },
  });
  if (provider.status !== 201) throw new Error(`provider: ${provider.status} ${provider.body}`);
  const token = await client.send('POST', '/iam/v1/scim', {
    token: adminToken,
    body: { provider: 'entra', providerDisplayName: `${name} Entra ID` },
  });
  if (token.status !== 201) throw new Error(`scim token: ${token.status} ${token.body}`);
  return {
    tenantId: id,
    adminToken,
    scimToken: token.json().token,
    scimTokenId: token.json().id,
    base: `/${id}/api/scim/v2`,
  };
}

/** Runs `tasks` with at most `limit` in flight. */
export async function pool<T>(limit: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
