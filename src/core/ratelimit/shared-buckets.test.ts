// The leasing logic of the shared limiter against a reference bucket store kept in memory (the PostgreSQL
// statement itself is exercised in test/e2e/rate-limits-shared.test.ts).
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../lib/clock.ts';
import { batchFor, type ClaimResult, type RateLimitStore, SharedBuckets } from './shared-buckets.ts';
import type { BucketRule, Take } from './token-buckets.ts';

/** The same arithmetic as the PostgreSQL upsert: refill to the burst, take up to `want` whole tokens. */
class ReferenceStore implements RateLimitStore {
  readonly rows = new Map<string, { tokens: number; at: number }>();
  claims = 0;
  failing = false;
  async claim(scope: string, key: string, rule: BucketRule, want: number, nowMs: number): Promise<ClaimResult> {
    await Promise.resolve();
    if (this.failing) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    this.claims += 1;
    const id = `${scope}/${key}`;
    const row = this.rows.get(id) ?? { tokens: rule.burst, at: nowMs };
    const tokens = Math.min(rule.burst, row.tokens + (Math.max(0, nowMs - row.at) * rule.rate) / 1000);
    const granted = Math.min(want, Math.floor(tokens));
    this.rows.set(id, { tokens: tokens - granted, at: Math.max(row.at, nowMs) });
    return { granted, tokens: tokens - granted };
  }
  async purge(): Promise<number> {
    return 0;
  }
}

async function takeMany(limiter: SharedBuckets, key: string, n: number): Promise<Take[]> {
  const out: Take[] = [];
  for (let i = 0; i < n; i++) out.push(await limiter.take(key));
  return out;
}
const admitted = (takes: Take[]) => takes.filter((t) => t.ok).length;

describe('SharedBuckets', () => {
  it('sizes batches at a twentieth of a second of the rate, within 1 … max and the burst', () => {
    expect(batchFor({ rate: 1, burst: 8 })).toBe(1);
    expect(batchFor({ rate: 500, burst: 1000 })).toBe(25);
    expect(batchFor({ rate: 1_000_000, burst: 1_000_000 })).toBe(100);
    expect(batchFor({ rate: 1_000_000, burst: 10 })).toBe(10);
    expect(batchFor({ rate: 500, burst: 1000 }, 1)).toBe(1);
  });

  it('holds one limit for two processes: the burst in total, 429 with whole-second Retry-After, refill at the rate', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const store = new ReferenceStore();
    const rule = { rate: 1, burst: 6 };
    const a = new SharedBuckets('tenant', rule, clock, store);
    const b = new SharedBuckets('tenant', rule, clock, store);
    const takes: Take[] = [];
    for (let i = 0; i < 10; i++) takes.push(await (i % 2 ? a : b).take('t1'));
    expect(takes.map((t) => t.ok)).toEqual([true, true, true, true, true, true, false, false, false, false]);
    expect(takes[9]).toEqual({ ok: false, retryAfterSeconds: 1 });
    // Another key is a separate bucket.
    expect((await a.take('t2')).ok).toBe(true);
    clock.advance(2_000);
    const later: Take[] = [];
    for (let i = 0; i < 6; i++) later.push(await (i % 2 ? a : b).take('t1'));
    expect(admitted(later)).toBe(2);
  });

  it('costs one claim per batch, and a flooding key no claim per refused request', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const store = new ReferenceStore();
    const limiter = new SharedBuckets('tenant', { rate: 400, burst: 200 }, clock, store);
    expect(limiter.batch).toBe(20);
    expect(admitted(await takeMany(limiter, 'k', 200))).toBe(200);
    expect(store.claims).toBeLessThanOrEqual(11);
    const before = store.claims;
    const refused = await takeMany(limiter, 'k', 1000);
    expect(admitted(refused)).toBe(0);
    expect(store.claims - before).toBeLessThanOrEqual(1);
    expect(refused.every((t) => !t.ok && Number.isInteger(t.retryAfterSeconds) && t.retryAfterSeconds >= 1)).toBe(true);
  });

  it('never admits more than the shared bucket grants, and loses at most the permits leased by idle processes', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const store = new ReferenceStore();
    const rule = { rate: 100, burst: 100 };
    const processes = [0, 1, 2].map(() => new SharedBuckets('tenant', rule, clock, store));
    let ok = 0;
    // Uneven traffic: process 0 takes most, process 2 takes one request and then idles with its lease.
    ok += admitted(await takeMany(processes[2]!, 'k', 1));
    for (let i = 0; i < 300; i++) ok += admitted([await processes[i % 5 === 0 ? 1 : 0]!.take('k')]);
    const batch = processes[0]!.batch;
    expect(ok).toBeLessThanOrEqual(rule.burst);
    expect(ok).toBeGreaterThanOrEqual(rule.burst - Math.ceil(1.25 * batch));
  });

  it('shares one claim among requests for a key that arrive together', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const store = new ReferenceStore();
    const limiter = new SharedBuckets('token', { rate: 1000, burst: 1000 }, clock, store);
    const takes = await Promise.all(Array.from({ length: 30 }, () => limiter.take('k')));
    expect(admitted(takes)).toBe(30);
    expect(store.claims).toBeLessThanOrEqual(2);
  });

  it('lets leased permits lapse after a second, so an idle process cannot save them up', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const store = new ReferenceStore();
    const rule = { rate: 100, burst: 10 };
    const a = new SharedBuckets('tenant', rule, clock, store);
    const b = new SharedBuckets('tenant', rule, clock, store);
    expect((await a.take('k')).ok).toBe(true); // a now holds batch - 1 permits
    expect(admitted(await takeMany(b, 'k', 20))).toBe(10 - a.batch);
    clock.advance(1_000);
    // a's old permits are gone; a second of refill (capped at the burst) is all there is, for both.
    const both: Take[] = [];
    for (let i = 0; i < 40; i++) both.push(await (i % 2 ? a : b).take('k'));
    expect(admitted(both)).toBe(10);
  });

  it('falls back to per-process buckets while the store fails, then returns to the shared bucket', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const store = new ReferenceStore();
    const errors: unknown[] = [];
    const limiter = new SharedBuckets('tenant', { rate: 1, burst: 3 }, clock, store, {
      onError: (e) => errors.push(e),
    });
    store.failing = true;
    // Still limited (never unlimited): the local bucket's burst, then 429.
    expect((await takeMany(limiter, 'k', 5)).map((t) => t.ok)).toEqual([true, true, true, false, false]);
    expect(errors).toHaveLength(1);
    expect(limiter.stats.failures).toBe(1);
    store.failing = false;
    clock.advance(5_000);
    expect((await limiter.take('k')).ok).toBe(true);
    expect(store.claims).toBe(1);
  });
});
