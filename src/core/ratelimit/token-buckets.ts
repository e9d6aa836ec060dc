// Token buckets keyed by tenant, token or client address: a steady rate with a burst, refilled from the clock.
import type { Clock } from '../../lib/clock.ts';

export interface BucketRule {
  /** Requests per second, sustained. */
  readonly rate: number;
  /** Requests that may arrive at once. */
  readonly burst: number;
}

export type Take = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/** A limiter the SCIM surface asks before serving a request: answered from memory, or after a shared claim. */
export interface Limiter {
  take(key: string): Take | Promise<Take>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept per limiter; the least recently used go first, so hostile keys cannot grow memory without bound. */
export const MAX_BUCKETS = 100_000;

export class TokenBuckets implements Limiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rule: BucketRule,
    private readonly clock: Clock,
  ) {}

  take(key: string): Take {
    const now = this.clock.now().getTime();
    const existing = this.buckets.get(key);
    const bucket = existing ?? { tokens: this.rule.burst, at: now };
    if (existing) this.buckets.delete(key); // re-insert below: Map order is the LRU order
    bucket.tokens = Math.min(this.rule.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rule.rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    // RFC 9110 §10.2.3: Retry-After in whole seconds, at least 1.
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.rule.rate)) };
  }
}
