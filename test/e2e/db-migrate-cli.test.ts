// npm run db:migrate / db:status (src/migrate-cli.ts) as an operator runs them, against DATABASE_URL on each store:
// a database part-way through the migrations is listed as such, migrated to the latest, and Roster opens it.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { openStore, type StoreLocation } from '../../src/store/open-store.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { openSqlite } from '../../src/store/sqlite.ts';
import { bundleMain } from '../support/bundle-main.ts';
import { freshLocation, STORE_KINDS } from '../support/stores.ts';

const ROOT = resolve(import.meta.dirname, '../..');
// Every migration file, in order: the CLI must list exactly these (a new migration needs no change here).
const ALL = readdirSync(join(ROOT, 'src/store/migrations'))
  .filter((file) => /^\d{4}-.+\.ts$/.test(file))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();
const AFTER_TWO = ALL.slice(2);

// `npm run db:migrate` starts the CLI through tsx, as the last test below does; the others start a bundle of the same
// source (test/support/bundle-main.ts), which starts about 1.7 times as fast, for the dozen runs they make.
const THROUGH_TSX = ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/migrate-cli.ts')];
let bundle: Awaited<ReturnType<typeof bundleMain>>;
beforeAll(async () => {
  bundle = await bundleMain('roster-migrate-cli', 'src/migrate-cli.ts');
});
afterAll(() => bundle?.remove());

function cli(location: StoreLocation, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return run([bundle.entry], location, args);
}

function run(
  command: readonly string[],
  location: StoreLocation,
  args: readonly string[],
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [...command, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
      ROSTER_SECRET_KEY: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((ok) => child.once('close', (code) => ok({ code, out, err })));
}

/** name → 'applied' | 'pending', from the CLI's listing. */
function states(out: string): Record<string, string> {
  return Object.fromEntries([...out.matchAll(/^ {2}(\S+)\s+(applied|pending)\b/gm)].map((m) => [m[1], m[2]]));
}

describe.each(STORE_KINDS)('db:migrate and db:status on %s', (kind) => {
  let location: StoreLocation;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ location, drop } = await freshLocation(kind));
  });
  afterAll(async () => {
    await drop?.();
  });

  it('lists an empty database as all pending, and --check fails on it', async () => {
    const status = await cli(location, 'status');
    expect(status.err).toBe('');
    expect(status.code).toBe(0);
    expect(states(status.out)).toEqual(Object.fromEntries(ALL.map((n) => [n, 'pending'])));
    expect(ALL.length).toBeGreaterThanOrEqual(6);
    expect(status.out).toContain(`0 applied, ${ALL.length} pending`);
    expect((await cli(location, 'status', '--check')).code).toBe(1);
  }, 60_000);

  it('applies only what is pending on a database part-way through, then Roster opens it as is', async () => {
    // An older Roster's database: the first two migrations applied.
    const db = location.kind === 'sqlite' ? openSqlite(location.path).db : openPostgres(location.url).db;
    const partial = await new Migrator({ db, provider: migrationProvider({ dialect: kind }) }).migrateTo('0002-scim');
    await db.destroy();
    expect(partial.error).toBeUndefined();

    const before = await cli(location, 'status');
    expect(ALL.slice(0, 2)).toEqual(['0001-foundation', '0002-scim']);
    expect(states(before.out)).toEqual({
      '0001-foundation': 'applied',
      '0002-scim': 'applied',
      ...Object.fromEntries(AFTER_TWO.map((n) => [n, 'pending'])),
    });
    expect(before.out).toMatch(/0001-foundation\s+applied \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/);

    const migrated = await cli(location, 'migrate');
    expect(migrated.err).toBe('');
    expect(migrated.code).toBe(0);
    expect(migrated.out).toContain(`applied ${AFTER_TWO.join(', ')}\n`);
    expect(states(migrated.out)).toEqual(Object.fromEntries(ALL.map((n) => [n, 'applied'])));
    expect((await cli(location, 'status', '--check')).code).toBe(0);

    const again = await cli(location, 'migrate');
    expect(again.code).toBe(0);
    expect(again.out).toContain('already up to date');

    const store = await openStore(location);
    try {
      await store.ping();
      expect(await store.tenants.list()).toEqual([]);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('db:migrate refusals', () => {
  it('names the problem and exits 1 when the database cannot be reached, without printing its password', async () => {
    const res = await cli({ kind: 'postgres', url: 'postgres://roster:hunter2-secret@127.0.0.1:1/roster' }, 'migrate');
    expect(res.code).toBe(1);
    expect(res.err).toContain('roster db: ');
    expect(res.out + res.err).not.toContain('hunter2-secret');
  });

  it('answers an unknown command with its usage and exit code 2', async () => {
    const res = await run(THROUGH_TSX, { kind: 'sqlite', path: '/nonexistent/roster.db' }, ['upgrade']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('usage: migrate-cli migrate | status [--check]');
  });
});
