// Runs a suite once per store: SQLite (temp file, WAL, FULL) and PostgreSQL (a fresh database per suite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { type OpenedStore, openStore, type StoreLocation } from '../../src/store/open-store.ts';
import { createDatabase } from './postgres-server.ts';

const ALL_STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof ALL_STORES)[number];

/**
 * The stores suites run on: both, unless ROSTER_TEST_STORES=sqlite (set by the fast lane, vitest.unit.config.ts).
 * `npm test` refuses that variable (test/support/global-setup.ts), so the full suite never skips PostgreSQL.
 */
export const STORE_KINDS: readonly StoreKind[] = storesFromEnv(process.env.ROSTER_TEST_STORES);

export function storesFromEnv(value: string | undefined): readonly StoreKind[] {
  if (value === undefined || value === '') return ALL_STORES;
  if (value === 'sqlite') return ['sqlite'];
  throw new Error(`ROSTER_TEST_STORES must be unset or sqlite, not ${JSON.stringify(value)}`);
}

export interface TestStore {
  readonly location: StoreLocation;
  readonly store: OpenedStore;
  dispose(): Promise<void>;
}

let counter = 0;

/**
 * The PostgreSQL server of this file's worker slot: files running at the same time never share a server (see
 * test/support/global-setup.ts). Undefined in the SQLite-only fast lane.
 */
export function postgresAdminUrl(): string | undefined {
  const urls = inject('postgresUrls');
  if (!urls || urls.length === 0) return inject('postgresUrl') || undefined;
  const slot = Number(process.env.VITEST_POOL_ID ?? 1) - 1;
  return urls[(slot >= 0 ? slot : 0) % urls.length];
}

/** A fresh, empty location of the given kind (its own SQLite file or its own PostgreSQL database). */
export async function freshLocation(kind: StoreKind): Promise<{ location: StoreLocation; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'roster-sqlite-'));
    return {
      location: { kind: 'sqlite', path: join(dir, 'roster.db') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = postgresAdminUrl();
  if (!admin) throw new Error('no PostgreSQL in this run: the fast lane (npm run test:unit) is SQLite only');
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const url = await createDatabase(admin, name);
  return {
    location: { kind: 'postgres', url },
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  const { location, drop } = await freshLocation(kind);
  const store = await openStore(location);
  return {
    location,
    store,
    async dispose() {
      await store.close();
      await drop();
    },
  };
}
