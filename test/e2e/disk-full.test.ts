// Security plan F6: the disk under the database fills up. The database lives on a small tmpfs (SQLite: its file,
// WAL and shm; PostgreSQL: a tablespace holding the whole database) and a filler file takes the rest of the space.
// Writes answer 503 + Retry-After as SCIM errors (never 500), reads keep answering 200, and once the filler is
// removed writes succeed again without a restart; SQLite's integrity_check is ok afterwards.
// Mounting a tmpfs needs root (or CAP_SYS_ADMIN), as in CI and the dev container; elsewhere the test fails with a hint.
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoreLocation } from '../../src/store/open-store.ts';
import { type LiveApp, startLiveApp } from '../support/app.ts';
import { expectScim503, type Outcome, scimHeaders } from '../support/load.ts';
import { type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { entraUser, scimTenant } from '../support/scim.ts';

const HINT = 'F6 mounts a small tmpfs to fill it; run the tests as root (or with CAP_SYS_ADMIN)';

function mountTmpfs(megabytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'roster-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0777`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${HINT}: ${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? error}`);
  }
  return dir;
}

function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  rmSync(dir, { recursive: true, force: true });
}

/** Writes a file until the filesystem has no space left; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

async function exercise(live: LiveApp, dir: string, label: string): Promise<void> {
  const tenant = await scimTenant(live.app);
  const target = `${live.origin}${tenant.base}`;
  const post = async (userName: string): Promise<Outcome> => {
    const startedAt = Date.now();
    const res = await fetch(`${target}/Users`, {
      method: 'POST',
      headers: scimHeaders(tenant.scimToken),
      body: JSON.stringify(entraUser(userName, userName)),
      signal: AbortSignal.timeout(15_000),
    });
    return {
      userName,
      startedAt,
      ms: Date.now() - startedAt,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      contentType: res.headers.get('content-type'),
      body: await res.json(),
    };
  };
  const kept = await post('kept@x.com');
  expect(kept.status).toBe(201);
  const keptId = (kept.body as { id: string }).id;

  const filler = fill(dir);
  // Pages, WAL frames or relation extents already allocated can take a few more rows; the next ones cannot.
  let first: Outcome | undefined;
  const acknowledged: string[] = [];
  for (let i = 0; i < 2_000 && !first; i++) {
    const o = await post(`full${i}@x.com`);
    if (o.status === 201) acknowledged.push(o.userName);
    else first = o;
  }
  expect(first, 'writes kept succeeding on a full disk').toBeDefined();
  expectScim503(first!);
  const refused: string[] = [first!.userName];
  for (let i = 0; i < 20; i++) {
    const o = await post(`refused${i}@x.com`);
    expectScim503(o);
    refused.push(o.userName);
  }
  const read = await fetch(`${target}/Users/${keptId}`, { headers: scimHeaders(tenant.scimToken) });
  expect(read.status).toBe(200);
  const list = await fetch(`${target}/Users?count=5`, { headers: scimHeaders(tenant.scimToken) });
  expect(list.status).toBe(200);
  const admin = await fetch(`${live.origin}/iam/v1/sso`, { headers: { authorization: `Bearer ${tenant.adminToken}` } });
  expect(admin.status).toBe(200);

  unlinkSync(filler);
  const after = await post('after@x.com');
  expect(after.status, JSON.stringify(after.body)).toBe(201);
  for (const userName of [...acknowledged, 'after@x.com']) {
    const found = await fetch(`${target}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, {
      headers: scimHeaders(tenant.scimToken),
    });
    expect(((await found.json()) as { totalResults: number }).totalResults, userName).toBe(1);
  }
  for (const userName of refused) {
    const found = await fetch(`${target}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, {
      headers: scimHeaders(tenant.scimToken),
    });
    expect(((await found.json()) as { totalResults: number }).totalResults, `${userName} was refused`).toBe(0);
  }
  process.stdout.write(
    `F6 ${label}: ${acknowledged.length} writes fit after filling, then 503 (${first!.body && (first!.body as { detail: string }).detail}); reads 200; writes resume after freeing space\n`,
  );
}

describe('disk full (F6)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('on SQLite: writes 503, reads 200, recovery when space returns, integrity_check ok', async () => {
    const dir = mountTmpfs(8);
    cleanups.push(() => unmount(dir));
    const location: StoreLocation = { kind: 'sqlite', path: join(dir, 'roster.db') };
    const live = await startLiveApp(location);
    let closed = false;
    cleanups.push(() => (closed ? undefined : live.close()));
    await exercise(live, dir, 'sqlite');
    await live.close();
    closed = true;
    const db = new Database(location.path);
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    db.close();
  }, 60_000);

  it('on PostgreSQL (database in a tablespace on the full filesystem): the same', async () => {
    const server: PostgresServer = await startPostgres();
    cleanups.push(() => server.stop());
    const dir = mountTmpfs(48);
    cleanups.push(() => unmount(dir));
    const space = join(dir, 'space');
    server.runAsServerUser('mkdir', [space]);
    chmodSync(dir, 0o777);
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`create tablespace f6 location '${space}'`);
    await admin.query('create database f6 tablespace f6');
    await admin.end();
    const url = new URL(server.url);
    url.pathname = '/f6';
    const live = await startLiveApp({ kind: 'postgres', url: url.toString() });
    cleanups.push(() => live.close());
    await exercise(live, dir, 'postgres');
  }, 60_000);
});
