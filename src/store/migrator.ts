// What the db:migrate and db:status commands see of a database: each migration, applied (when) or pending.
import { existsSync } from 'node:fs';
import { type Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations/index.ts';
import type { StoreLocation } from './open-store.ts';
import { migrate } from './open-store.ts';
import { openPostgres } from './postgres.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite.ts';

export interface MigrationState {
  readonly name: string;
  /** ISO-8601 time it was applied, or null while pending. */
  readonly appliedAt: string | null;
}

export interface MigrationTarget {
  status(): Promise<readonly MigrationState[]>;
  /** Applies the pending migrations in order (as Roster does at start); returns the names applied now. */
  migrate(): Promise<readonly string[]>;
  close(): Promise<void>;
}

/**
 * The database at `location`, for migrations only: no statement timeout, so building an index on a large table is
 * not cut off. A SQLite file that does not exist yet is created only when migrating, never by a status query.
 */
export function openMigrationTarget(location: StoreLocation): MigrationTarget {
  let db: Kysely<Database> | undefined;
  const handle = (create: boolean): Kysely<Database> | undefined => {
    if (db) return db;
    if (location.kind === 'sqlite') {
      if (!create && location.path !== ':memory:' && !existsSync(location.path)) return undefined;
      db = openSqlite(location.path).db;
    } else {
      db = openPostgres(location.url, { max: 1, statementTimeoutMs: 0 }).db;
    }
    return db;
  };
  const status = async (): Promise<readonly MigrationState[]> => {
    const provider = migrationProvider({ dialect: location.kind });
    const existing = handle(false);
    if (!existing) {
      return Object.keys(await provider.getMigrations()).map((name) => ({ name, appliedAt: null }));
    }
    const infos = await new Migrator({ db: existing, provider }).getMigrations();
    return infos.map((m) => ({ name: m.name, appliedAt: m.executedAt ? m.executedAt.toISOString() : null }));
  };
  return {
    status,
    async migrate() {
      const before = await status();
      await migrate(handle(true)!, location.kind);
      const after = new Map((await status()).map((m) => [m.name, m.appliedAt]));
      return before.filter((m) => m.appliedAt === null && after.get(m.name) !== null).map((m) => m.name);
    },
    async close() {
      await db?.destroy();
    },
  };
}
