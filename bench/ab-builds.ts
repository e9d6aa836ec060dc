// Two builds of Roster side by side in one process, for the in-process A/Bs (read-cost-ab.ts, membership-ab.ts):
// each build's createApp, config and store come from its own source tree, on one seeded store.
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import type { StoreLocation } from '../src/store/open-store.ts';
import { benchLocation, benchScimEnv } from './bench-store.ts';
import { type Seeded, seed } from './seed.ts';

export type AbLocation = StoreLocation;
export type AbSide = 'before' | 'after';
export interface AbApp {
  side: AbSide;
  app: FastifyInstance;
  close: () => Promise<void>;
}

/** Starts `before` (the root of another checkout, its node_modules linked) and this tree, rate limits lifted. */
export async function startBuilds(beforeRoot: string, location: AbLocation, secretKey: string): Promise<AbApp[]> {
  const apps: AbApp[] = [];
  for (const [side, root] of [
    ['before', resolve(beforeRoot)],
    ['after', resolve(import.meta.dirname, '..')],
  ] as const) {
    const { createApp } = await import(join(root, 'src/app.ts'));
    const { loadConfig } = await import(join(root, 'src/config/config.ts'));
    const { openStore } = await import(join(root, 'src/store/open-store.ts'));
    const { systemClock } = await import(join(root, 'src/lib/clock.ts'));
    const store = await openStore(location);
    const config = loadConfig(benchScimEnv(location, secretKey));
    const app = (await createApp({
      config,
      store,
      keyring: parseKeyring(secretKey),
      clock: systemClock,
      logger: false,
    })) as FastifyInstance;
    await app.ready();
    apps.push({
      side,
      app,
      close: async () => {
        await app.close();
        await store.close();
      },
    });
  }
  return apps;
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/**
 * A throwaway store (`store`: sqlite or postgres) seeded with `users`, the build at `before` and this tree started on
 * it, and `use` run with both; then the apps, the store and its server are closed, whatever happened.
 */
export async function withSeededBuilds<T>(
  options: { before: string | undefined; store: string | undefined; users: number; prefix: string },
  use: (apps: AbApp[], seeded: Seeded) => Promise<T>,
): Promise<T> {
  if (!options.before) throw new Error('--before DIR: the root of the build to compare against');
  const { location, dispose } = await benchLocation(options.store, options.prefix);
  let apps: AbApp[] = [];
  try {
    const secretKey = generateKeyText();
    const seeded = await seed(location, parseKeyring(secretKey), options.users, () => {});
    apps = await startBuilds(options.before, location, secretKey);
    return await use(apps, seeded);
  } finally {
    for (const { close } of apps) await close();
    dispose();
  }
}
