// Runs a suite once per store: SQLite (temp file, WAL, FULL) and PostgreSQL (a fresh database per suite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { type OpenedStore, openStore, type StoreLocation } from '../../src/store/open-store.ts';

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface TestStore {
  readonly location: StoreLocation;
  readonly store: OpenedStore;
  dispose(): Promise<void>;
}

let counter = 0;

/** A fresh, empty location of the given kind (its own SQLite file or its own PostgreSQL database). */
export async function freshLocation(kind: StoreKind): Promise<{ location: StoreLocation; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'roster-sqlite-'));
    return {
      location: { kind: 'sqlite', path: join(dir, 'roster.db') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = inject('postgresUrl');
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    location: { kind: 'postgres', url: url.toString() },
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
