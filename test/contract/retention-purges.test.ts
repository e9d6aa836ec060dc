// Retention purges of the busiest tables leave in bounded batches found through an index, never by walking the table
// (ADR 0064): the provisioning log (one row per SCIM request) through its primary key of UUIDv7s, webhook deliveries
// by their queue order. Old rows go while newer ones, of every tenant, stay.

import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeScimLog } from '../../src/core/scim/log.ts';
import type { ScimLogEntry } from '../../src/core/scim/records.ts';
import { createTenant } from '../../src/core/tenants/tenants.ts';
import { pruneWebhookDeliveries } from '../../src/core/webhooks/retention.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { recordQueries } from '../support/query-log.ts';
import { queryPlan } from '../support/query-plan.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

const NOW = new Date('2026-12-07T12:00:00.000Z');
const DAY = 86_400_000;
/** A walk over the table: SQLite says SCAN (without an index), PostgreSQL "Seq Scan". */
const TABLE_WALK = /\bSCAN scim_log\b(?! USING)|Seq Scan/;

function entry(tenantId: string, at: number): ScimLogEntry {
  return {
    id: uuidv7({ msecs: at }),
    tenantId,
    at: new Date(at).toISOString(),
    tokenId: null,
    method: 'GET',
    path: '/Users',
    operation: 'list',
    resourceType: 'User',
    resourceId: null,
    status: 200,
    scimType: null,
    durationMs: 1,
    summary: {},
  };
}

describe.each(STORE_KINDS)('retention purges on %s', (kind) => {
  let t: TestStore;
  let a = '';
  let b = '';

  const explain = (statement: { sql: string; parameters: readonly unknown[] }) =>
    queryPlan(t.store.db, kind, statement);
  const idsOf = async (tenantId: string) =>
    (await t.store.scim.scimLog.list(tenantId, { limit: 10_000 })).map((e) => e.id).sort();

  beforeAll(async () => {
    t = await openTestStore(kind);
    const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: fixedClock(NOW) };
    a = (await createTenant(deps, 'test', { name: 'A' })).tenant.id;
    b = (await createTenant(deps, 'test', { name: 'B' })).tenant.id;
    // Enough recent entries that walking the table would cost more than an index search; PostgreSQL plans from
    // statistics, so it gets them as autovacuum would give them.
    const recent = Array.from({ length: 2000 }, (_, i) => entry(i % 2 ? a : b, NOW.getTime() - i * 1000));
    await t.store.scim.transaction((tx) => tx.scimLog.appendMany(recent));
    if (kind === 'postgres') await sql`analyze scim_log`.execute(t.store.db);
  });
  afterAll(() => t?.dispose());

  it('removes the provisioning log older than its retention, in batches by primary key, and keeps the rest', async () => {
    const cutoff = NOW.getTime() - 30 * DAY;
    const old = [a, a, b, a, b, b, a].map((tenant, i) => entry(tenant, cutoff - (i + 1) * 3_600_000));
    const kept = [entry(a, cutoff), entry(b, cutoff + 1), entry(a, cutoff + DAY)];
    await t.store.scim.transaction((tx) => tx.scimLog.appendMany([...old, ...kept]));
    const before = { a: await idsOf(a), b: await idsOf(b) };

    const log = recordQueries();
    const pauses: number[] = [];
    const removed = await purgeScimLog({ scim: t.store.scim, clock: fixedClock(NOW) }, 30, {
      batchSize: 3,
      pause: async (batchMs) => {
        pauses.push(batchMs);
      },
    });

    // 7 old entries in batches of at most 3: two full ones, each followed by a pause, then the 1 left.
    expect(removed).toBe(7);
    expect(pauses).toHaveLength(2);
    for (const ms of pauses) expect(ms).toBeGreaterThanOrEqual(0);
    const gone = new Set(old.map((e) => e.id));
    expect(await idsOf(a)).toEqual(before.a.filter((id) => !gone.has(id)));
    expect(await idsOf(b)).toEqual(before.b.filter((id) => !gone.has(id)));
    for (const e of kept) expect([...(await idsOf(a)), ...(await idsOf(b))]).toContain(e.id);

    const deletes = log.all().filter((q) => /delete from "scim_log"/i.test(q.sql));
    expect(deletes).toHaveLength(3);
    const plan = await explain(deletes[0]!);
    expect(plan, plan).toMatch(/scim_log_pkey|sqlite_autoindex_scim_log_1/);
    expect(plan, plan).not.toMatch(TABLE_WALK);
    expect(await purgeScimLog({ scim: t.store.scim, clock: fixedClock(NOW) }, 30)).toBe(0);
  });

  it('never removes an entry recorded at or after the cut-off, whatever its id says', async () => {
    // An entry whose id was minted before the cut-off but whose time is after it (a clock step between the two).
    const cutoff = NOW.getTime() - 30 * DAY;
    const odd = { ...entry(a, cutoff - DAY), at: new Date(cutoff + 1).toISOString() };
    await t.store.scim.transaction((tx) => tx.scimLog.appendMany([odd]));
    expect(await purgeScimLog({ scim: t.store.scim, clock: fixedClock(NOW) }, 30)).toBe(0);
    expect(await idsOf(a)).toContain(odd.id);
  });

  it('removes succeeded webhook deliveries older than the retention in batches, and keeps the rest', async () => {
    const cutoff = NOW.getTime() - 30 * DAY;
    const iso = (ms: number) => new Date(ms).toISOString();
    await sql`insert into webhooks (id, tenant_id, url, enabled, secret_sealed, start_xid, start_seq, created_at,
      updated_at) values ('wh_retention', ${a}, 'https://example.com/hook', 1, 'sealed', '0', '0', ${iso(cutoff)},
      ${iso(cutoff)})`.execute(t.store.db);
    // In queue order: 5 old succeeded, 1 old still queued (never pruned), 2 old succeeded, then 3 newer succeeded.
    const rows: [string, string, number][] = [
      ...[1, 2, 3, 4, 5].map((i): [string, string, number] => [`old-${i}`, 'succeeded', cutoff - (10 - i) * 60_000]),
      ['old-queued', 'pending', cutoff - 4 * 60_000],
      ...[6, 7].map((i): [string, string, number] => [`old-${i}`, 'succeeded', cutoff - (10 - i) * 60_000]),
      ...[1, 2, 3].map((i): [string, string, number] => [`new-${i}`, 'succeeded', cutoff + i * 60_000]),
    ];
    for (const [id, status, at] of rows) {
      await sql`insert into webhook_deliveries (id, webhook_id, tenant_id, event_id, event_type, body, status,
        attempts, created_at) values (${id}, 'wh_retention', ${a}, ${`evt_${id}`}, 'user.created', '{}', ${status}, 1,
        ${iso(at)})`.execute(t.store.db);
    }
    const pauses: number[] = [];
    const removed = await pruneWebhookDeliveries({ webhooks: t.store.webhooks, clock: fixedClock(NOW) }, 30, {
      batchSize: 3,
      pause: async (ms) => {
        pauses.push(ms);
      },
    });
    expect(removed).toBe(7);
    // 7 in batches of 3: two full ones, each followed by a pause, then the 1 left.
    expect(pauses).toHaveLength(2);
    const left = await sql<{ id: string }>`select id from webhook_deliveries where webhook_id = 'wh_retention'
      order by seq`.execute(t.store.db);
    expect(left.rows.map((r) => r.id)).toEqual(['old-queued', 'new-1', 'new-2', 'new-3']);
    expect(await pruneWebhookDeliveries({ webhooks: t.store.webhooks, clock: fixedClock(NOW) }, 30)).toBe(0);
  });
});
