// A throwaway store for the in-process benches (feed, directory, webhooks): SQLite in a temp directory or a
// throwaway PostgreSQL, the config that names it, and a disposer; plus events appended through the outbox port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../src/config/config.ts';
import type { DirectoryEvent } from '../src/core/events/records.ts';
import { newId } from '../src/lib/ids.ts';
import { generateKeyText } from '../src/lib/keyring.ts';
import { type OpenedStore, openStore, type StoreLocation } from '../src/store/open-store.ts';
import { startPostgres } from '../test/support/postgres-server.ts';

export const BENCH_OPERATOR_TOKEN = 'bench-operator-token-0123456789-abcdefghijklmnop';

export interface BenchStore {
  readonly location: StoreLocation;
  readonly store: OpenedStore;
  readonly config: Config;
  readonly secretKey: string;
  /** Closes the store, stops PostgreSQL if one was started, removes the temp directory. */
  dispose(): Promise<void>;
}

/** A throwaway store location — SQLite in a temp directory, or (`kind` 'postgres') a throwaway PostgreSQL server. */
export async function benchLocation(
  kind: string | undefined,
  prefix: string,
): Promise<{ location: StoreLocation; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const pg = kind === 'postgres' ? await startPostgres() : undefined;
  return {
    location: pg ? { kind: 'postgres', url: pg.url } : { kind: 'sqlite', path: join(dir, 'roster.db') },
    dispose() {
      pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `use` with a throwaway store location, then stops its server and removes its directory, whatever happened. */
export async function withBenchLocation<T>(
  kind: string | undefined,
  prefix: string,
  use: (location: StoreLocation) => Promise<T>,
): Promise<T> {
  const { location, dispose } = await benchLocation(kind, prefix);
  try {
    return await use(location);
  } finally {
    dispose();
  }
}

/** The environment of an in-process bench app on `location`, with the SCIM rate limits lifted out of the way. */
export function benchScimEnv(location: StoreLocation, secretKey: string): Record<string, string> {
  return {
    ROSTER_SECRET_KEY: secretKey,
    ROSTER_PUBLIC_URL: 'http://127.0.0.1',
    DATABASE_URL: location.kind === 'postgres' ? location.url : `sqlite:${location.path}`,
    ROSTER_SCIM_RATE_TENANT: '1000000',
    ROSTER_SCIM_BURST_TENANT: '1000000',
    ROSTER_SCIM_RATE_TOKEN: '1000000',
    ROSTER_SCIM_BURST_TOKEN: '1000000',
  };
}

export async function openBenchStore(
  kind: string | undefined,
  prefix: string,
  env: Record<string, string> = {},
): Promise<BenchStore> {
  const { location, dispose } = await benchLocation(kind, prefix);
  const secretKey = generateKeyText('k1');
  const config = loadConfig({
    ROSTER_BOOTSTRAP_TOKEN: BENCH_OPERATOR_TOKEN,
    ROSTER_SECRET_KEY: secretKey,
    DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
    ...env,
  });
  const store = await openStore(location);
  return {
    location,
    store,
    config,
    secretKey,
    async dispose() {
      await store.close();
      dispose();
    },
  };
}

/** `total` user.updated events of `tenantId` carrying `data`, appended in transactions of 100. */
export async function appendEvents(
  store: OpenedStore,
  tenantId: string,
  total: number,
  data: DirectoryEvent['data'],
): Promise<void> {
  for (let i = 0; i < total; i += 100) {
    const n = Math.min(100, total - i);
    await store.scim.transaction((tx) =>
      tx.events.append(
        Array.from({ length: n }, () => ({
          id: `evt_${newId()}`,
          type: 'user.updated' as const,
          tenantId,
          occurredAt: new Date().toISOString(),
          data,
        })),
      ),
    );
  }
}
