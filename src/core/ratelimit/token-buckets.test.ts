import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../lib/clock.ts';
import { TokenBuckets } from './token-buckets.ts';

describe('TokenBuckets', () => {
  it('allows the burst, then refuses with a whole-second Retry-After, and refills at the rate', () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const buckets = new TokenBuckets({ rate: 2, burst: 3 }, clock);
    expect([1, 2, 3].map(() => buckets.take('t').ok)).toEqual([true, true, true]);
    expect(buckets.take('t')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.take('other').ok).toBe(true);
    clock.advance(500);
    expect(buckets.take('t').ok).toBe(true);
    expect(buckets.take('t').ok).toBe(false);
    clock.advance(10_000);
    expect([1, 2, 3, 4].map(() => buckets.take('t').ok)).toEqual([true, true, true, false]);
  });

  it('says how long until a token returns when the rate is slow', () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const buckets = new TokenBuckets({ rate: 0.1, burst: 1 }, clock);
    expect(buckets.take('x').ok).toBe(true);
    expect(buckets.take('x')).toEqual({ ok: false, retryAfterSeconds: 10 });
  });
});
