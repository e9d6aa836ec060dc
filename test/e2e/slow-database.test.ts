// Security plan F7: PostgreSQL too slow to answer within ROSTER_DB_STATEMENT_TIMEOUT_MS. A row lock held by another
// session makes every PATCH of that user wait past lock_timeout: each answers 503 + Retry-After within the deadline,
// its transaction is rolled back, other requests keep being served, and after many such requests the pool is
// healthy (no leaked, waiting or idle-in-transaction connections). The statement_timeout path is checked directly.
// (SQLite's equivalent, a lock held past busy_timeout, is F5 in test/contract/store-unavailable.test.ts.)
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveApp, startLiveApp } from '../support/app.ts';
import { expectScim503, scimHeaders } from '../support/load.ts';
import { entraUser, PATCH_OP, type ScimTenant, scimTenant } from '../support/scim.ts';
import { freshLocation } from '../support/stores.ts';

const TIMEOUT_MS = 250;
const REQUESTS = Number(process.env.F7_REQUESTS ?? 150);
const CONCURRENCY = 10;

describe('PostgreSQL past the statement timeout (F7)', () => {
  let live: LiveApp;
  let url: string;
  let drop: () => Promise<void>;
  let tenant: ScimTenant;
  beforeAll(async () => {
    const fresh = await freshLocation('postgres');
    if (fresh.location.kind !== 'postgres') throw new Error('postgres only');
    url = fresh.location.url;
    drop = fresh.drop;
    live = await startLiveApp(fresh.location, { ROSTER_DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) });
    tenant = await scimTenant(live.app);
  });
  afterAll(async () => {
    await live?.close();
    await drop?.();
  });

  const request = async (method: string, path: string, body?: unknown) => {
    const started = Date.now();
    const res = await fetch(`${live.origin}${tenant.base}${path}`, {
      method,
      headers: scimHeaders(tenant.scimToken),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return {
      userName: path,
      startedAt: started,
      ms: Date.now() - started,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      contentType: res.headers.get('content-type'),
      body: text ? JSON.parse(text) : undefined,
    };
  };
  const rename = (displayName: string) => ({
    schemas: [PATCH_OP],
    Operations: [{ op: 'Replace', path: 'displayName', value: displayName }],
  });

  it(`answers ${REQUESTS} lock waits with 503 in time, rolls each back, and leaves the pool healthy`, async () => {
    const created = await request('POST', '/Users', entraUser('locked@x.com', 'locked'));
    const other = await request('POST', '/Users', entraUser('free@x.com', 'free'));
    expect([created.status, other.status]).toEqual([201, 201]);
    const id = created.body.id as string;

    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('select id from scim_users where id = $1 for update', [id]);
    const outcomes: Awaited<ReturnType<typeof request>>[] = [];
    const reads: number[] = [];
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < REQUESTS) {
            const i = next++;
            outcomes.push(await request('PATCH', `/Users/${id}`, rename(`failed-${i}`)));
            if (i % 10 === 0) reads.push((await request('GET', `/Users/${other.body.id}`)).status);
          }
        }),
      );
    } finally {
      await locker.query('rollback');
      await locker.end();
    }
    expect(outcomes).toHaveLength(REQUESTS);
    for (const o of outcomes) {
      expectScim503(o);
      expect(o.ms).toBeLessThan(5_000); // the timeout is 250 ms: a request stuck behind the lock would not fit
    }
    expect(reads.every((s) => s === 200)).toBe(true); // the rest of the directory is served meanwhile

    // Rolled back: none of the failed PATCHes left a trace, and the next one goes through.
    const after = await request('GET', `/Users/${id}`);
    expect(after.body.displayName).toBe('Barbara Jensen');
    expect((await request('PATCH', `/Users/${id}`, rename('renamed'))).status).toBe(200);
    expect((await request('GET', `/Users/${id}`)).body.displayName).toBe('renamed');

    // The pool: no more than its 10 connections, none left inside a transaction or waiting on a lock.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const sessions = await admin.query<{ state: string | null; wait_event_type: string | null }>(
      'select state, wait_event_type from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    await admin.end();
    expect(sessions.rows.length).toBeLessThanOrEqual(10);
    for (const s of sessions.rows) {
      expect(s.state).not.toMatch(/in transaction/);
      expect(s.wait_event_type).not.toBe('Lock');
    }
    expect((await fetch(`${live.origin}/readyz`)).status).toBe(200);
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    process.stdout.write(`F7: ${REQUESTS} lock waits → 503, slowest ${slowest} ms, ${sessions.rows.length} pooled\n`);
  }, 60_000);

  it('a statement past statement_timeout fails as "unavailable" and the connection is reused', async () => {
    const started = Date.now();
    const error = await sql`select pg_sleep(2)`.execute(live.store.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('57014'); // query_canceled by statement_timeout
    expect(live.store.isUnavailable(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);
    await live.store.ping();
    expect((await request('GET', `/Users?count=0`)).status).toBe(200);
  });
});

describe('closing while a request waits on the database', () => {
  it('answers it with Connection: close, so close() does not wait for the keep-alive timeout', async () => {
    const fresh = await freshLocation('postgres');
    if (fresh.location.kind !== 'postgres') throw new Error('postgres only');
    const live = await startLiveApp(fresh.location, { ROSTER_DB_STATEMENT_TIMEOUT_MS: '1000' });
    const tenant = await scimTenant(live.app);
    const base = `${live.origin}${tenant.base}`;
    const created = await fetch(`${base}/Users`, {
      method: 'POST',
      headers: scimHeaders(tenant.scimToken),
      body: JSON.stringify(entraUser('slow@x.com', 'slow')),
    });
    const { id } = (await created.json()) as { id: string };
    const locker = new pg.Client({ connectionString: fresh.location.url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('select id from scim_users where id = $1 for update', [id]);
    try {
      // On the keep-alive connection the POST above used: it waits for the lock, then times out (1 s) → 503.
      const waiting = fetch(`${base}/Users/${id}`, {
        method: 'PATCH',
        headers: scimHeaders(tenant.scimToken),
        body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'x' }] }),
      });
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      const closed = live.close().then(() => Date.now() - started);
      const res = await waiting;
      expect(res.status).toBe(503);
      expect(res.headers.get('connection')).toBe('close');
      const took = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
      expect(took, 'close() still waiting after 15 s').toBeGreaterThan(0);
      expect(took).toBeLessThan(5_000);
    } finally {
      await locker.query('rollback');
      await locker.end();
      await fresh.drop();
    }
  }, 30_000);
});
