// The webhook store on both dialects: fan-out in feed order from each endpoint's start, leases that keep an endpoint
// with one worker until they end, and outcomes written only by the lease holder.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../../src/core/events/records.ts';
import { resealSecrets } from '../../src/core/keys/rotation.ts';
import { planDeliveries } from '../../src/core/webhooks/dispatch.ts';
import { createWebhook } from '../../src/core/webhooks/endpoints.ts';
import type { WebhookRecord } from '../../src/core/webhooks/records.ts';
import { webhookSecretContext } from '../../src/core/webhooks/signing.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { decryptSecret, generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

const T0 = '2026-11-23T10:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
const noAudit = async () => {};

function draft(id: string, tenantId: string | null, eventTypes: WebhookRecord['eventTypes'] = null) {
  return {
    id,
    tenantId,
    url: `http://127.0.0.1:9/${id}`,
    description: null,
    eventTypes,
    enabled: true,
    secretSealed: 'sealed',
    previousSecretSealed: null,
    previousSecretUntil: null,
    createdAt: T0,
    updatedAt: T0,
    nextAttemptAt: null,
    failingSince: null,
    disabledAt: null,
    disabledReason: null,
  };
}

describe.each(STORE_KINDS)('webhook store on %s', (kind) => {
  let t: TestStore;
  const append = (tenantId: string, type: 'user.created' | 'group.created', n: number) =>
    t.store.transaction(async (tx) => {
      const events = Array.from({ length: n }, (_, i) => newEvent(newId(), new Date(T0), tenantId, type, { i }));
      await tx.events.append(events);
      return events.map((e) => e.id);
    });
  const queue = async (webhookId: string) =>
    (await t.store.webhooks.queued(webhookId, undefined, 1000)).map((d) => d.eventId);

  beforeAll(async () => {
    t = await openTestStore(kind);
    for (const id of ['ta', 'tb']) await t.store.tenants.insert({ id, name: id, createdAt: T0 });
  });
  afterAll(() => t?.dispose());

  it('fans out only events after each endpoint was made, by tenant and type, in feed order', async () => {
    const before = await append('ta', 'user.created', 3);
    await t.store.webhooks.create(draft('wh_a', 'ta'), noAudit);
    await t.store.webhooks.create(draft('wh_a_groups', 'ta', ['group.created']), noAudit);
    await t.store.webhooks.create(draft('wh_b', 'tb'), noAudit);
    await t.store.webhooks.create(draft('wh_op', null), noAudit);
    const a1 = await append('ta', 'user.created', 2);
    const b1 = await append('tb', 'group.created', 1);
    const a2 = await append('ta', 'group.created', 2);
    let rounds = 0;
    for (;;) {
      const r = await t.store.webhooks.dispatch(2, T0, planDeliveries);
      rounds++;
      if (!r?.more) break;
    }
    expect(rounds).toBeGreaterThan(1);
    expect(await queue('wh_a')).toEqual([...a1, ...a2]);
    expect(await queue('wh_a_groups')).toEqual(a2);
    expect(await queue('wh_b')).toEqual(b1);
    expect(await queue('wh_op')).toEqual([...a1, ...b1, ...a2]);
    expect((await queue('wh_op')).some((id) => before.includes(id))).toBe(false);
    // A round with nothing new queues nothing more.
    expect(await t.store.webhooks.dispatch(100, T0, planDeliveries)).toEqual({
      events: 0,
      deliveries: 0,
      more: false,
      targets: 4,
    });
    const body = JSON.parse((await t.store.webhooks.queued('wh_b', undefined, 1))[0]!.body);
    expect(Object.keys(body)).toEqual(['id', 'type', 'tenantId', 'occurredAt', 'data']);
    expect(body).toMatchObject({ id: b1[0], type: 'group.created', tenantId: 'tb', data: { i: 0 } });
  });

  it('leases an endpoint to one owner until the lease ends; only the holder writes outcomes', async () => {
    const first = await t.store.webhooks.claim('p1', at(0), at(30), 10);
    expect(first.map((e) => e.id).sort()).toEqual(['wh_a', 'wh_a_groups', 'wh_b', 'wh_op']);
    expect(await t.store.webhooks.claim('p2', at(10), at(40), 10)).toEqual([]);
    // p1 "died": after its lease, p2 takes every endpoint over.
    const taken = await t.store.webhooks.claim('p2', at(31), at(61), 10);
    expect(taken).toHaveLength(4);
    const [d] = await t.store.webhooks.queued('wh_b', undefined, 1);
    const attempt = { n: 1, at: at(32), status: 200, latencyMs: 3, excerpt: 'ok', error: null };
    const late = { webhookId: 'wh_b', at: at(32), succeeded: [{ id: d!.id, attempt }], leaseUntil: null };
    expect(await t.store.webhooks.record({ ...late, leaseOwner: 'p1' })).toBe(false);
    // p1's send still counts (at least once), but the endpoint stays p2's.
    expect(await t.store.webhooks.queued('wh_b', undefined, 10)).toEqual([]);
    expect(await t.store.webhooks.renew('wh_b', 'p1', at(90))).toBe(false);
    expect(await t.store.webhooks.renew('wh_b', 'p2', at(90))).toBe(true);
    expect(await t.store.webhooks.record({ ...late, succeeded: [], leaseOwner: 'p2' })).toBe(true);
    const [listed] = await t.store.webhooks.deliveries('wh_b', { limit: 10, before: undefined });
    expect(listed).toMatchObject({ status: 'succeeded', attempts: 1, lastStatus: 200, lastExcerpt: 'ok' });
    expect(listed!.attemptList).toEqual([attempt]);
  });

  it('holds back a failed head with its backoff, and claims concurrently without overlap', async () => {
    for (const id of ['wh_a', 'wh_a_groups', 'wh_op']) {
      await t.store.webhooks.record({ webhookId: id, leaseOwner: 'p2', at: at(40), succeeded: [], leaseUntil: null });
    }
    const [head] = await t.store.webhooks.queued('wh_a', undefined, 1);
    const failedAttempt = { n: 1, at: at(41), status: 500, latencyMs: 2, excerpt: 'boom', error: 'HTTP 500' };
    await t.store.webhooks.claim('p3', at(41), at(71), 1);
    const claimedA = (await t.store.webhooks.get('ta', 'wh_a'))!;
    expect(claimedA.id).toBe('wh_a');
    await t.store.webhooks.record({
      webhookId: 'wh_a',
      leaseOwner: 'p3',
      at: at(41),
      succeeded: [],
      failed: { id: head!.id, attempt: failedAttempt, nextAttemptAt: at(50), failingSince: at(41) },
      leaseUntil: null,
    });
    expect(await t.store.webhooks.get('ta', 'wh_a')).toMatchObject({ nextAttemptAt: at(50), failingSince: at(41) });
    expect((await t.store.webhooks.queued('wh_a', undefined, 1))[0]!.id).toBe(head!.id);
    const [x, y] = await Promise.all([
      t.store.webhooks.claim('p4', at(45), at(75), 1),
      t.store.webhooks.claim('p5', at(45), at(75), 1),
    ]);
    const ids = [...x!, ...y!].map((e) => e.id).sort();
    expect(ids).toEqual(['wh_a_groups', 'wh_op']);
    expect((await t.store.webhooks.claim('p6', at(50), at(80), 5)).map((e) => e.id)).toEqual(['wh_a']);
  });

  it('prunes succeeded deliveries with their attempts, never one still queued', async () => {
    const count = async (table: 'webhook_deliveries' | 'webhook_attempts') =>
      Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(t.store.db)).rows[0]!.n);
    const queuedBefore = (await t.store.webhooks.queued('wh_a', undefined, 1000)).length;
    expect(await count('webhook_attempts')).toBeGreaterThan(0);
    expect(await t.store.webhooks.pruneBefore(T0, 500)).toBe(0);
    expect(await t.store.webhooks.pruneBefore(at(3600), 500)).toBe(1);
    expect(await t.store.webhooks.deliveries('wh_b', { limit: 10, before: undefined })).toEqual([]);
    expect((await t.store.webhooks.queued('wh_a', undefined, 1000)).length).toBe(queuedBefore);
    // The held-back head keeps its failed attempt; the succeeded delivery's attempt went with it.
    expect(await count('webhook_attempts')).toBe(1);
  });

  it('re-seals webhook secrets (tenant and operator) under the active key when keys rotate', async () => {
    const k1Text = generateKeyText('k1');
    const k1 = parseKeyring(k1Text);
    const deps = {
      webhooks: t.store.webhooks,
      keyring: k1,
      clock: fixedClock(T0),
      checkWebhookUrl: () => ({ ok: true as const }),
    };
    const mine = await createWebhook(deps, 'test', 'ta', { url: 'https://hooks.example.com/a' });
    const theirs = await createWebhook(deps, 'test', null, { url: 'https://hooks.example.com/op' });
    const both = parseKeyring(`${generateKeyText('k2')},${k1Text}`);
    const result = await resealSecrets({ keys: t.store.keys, keyring: both });
    // The rows the earlier tests made hold no real ciphertext: reported, not re-sealed.
    expect(result.unreadable.map((u) => `${u.kind}:${u.rowId}`).sort()).toEqual(
      ['wh_a', 'wh_a_groups', 'wh_b', 'wh_op'].map((id) => `webhook_secret:${id}`),
    );
    expect(result.resealed).toBe(2);
    for (const made of [mine, theirs]) {
      const row = (await t.store.webhooks.get(made.record.tenantId, made.record.id))!;
      expect(row.secretSealed.split('.')[1]).toBe('k2');
      expect(decryptSecret(both, row.secretSealed, webhookSecretContext(made.record.id))).toBe(made.secret);
    }
  });
});
