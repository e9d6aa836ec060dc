// Token buckets shared by every process on one database: each process leases permits from the shared bucket in
// batches, so the database sees one statement per batch, not one per request (ADR 0012).
import type { Clock } from '../../lib/clock.ts';
import { type BucketRule, type Limiter, MAX_BUCKETS, type Take, TokenBuckets } from './token-buckets.ts';

export interface ClaimResult {
  /** Permits taken from the shared bucket for this process, 0 ≤ granted ≤ want. */
  readonly granted: number;
  /** Tokens left in the shared bucket after the claim (may be fractional). */
  readonly tokens: number;
}

/** The shared bucket row: refill by the rule up to the burst, then take up to `want` whole tokens, atomically. */
export interface RateLimitStore {
  claim(scope: string, key: string, rule: BucketRule, want: number, nowMs: number): Promise<ClaimResult>;
  /** Deletes buckets of `scope` untouched since `idleBeforeMs` (they have refilled, so absent ≡ full). */
  purge(scope: string, idleBeforeMs: number): Promise<number>;
}

/** How long leased permits stay usable: an idle process cannot hoard them to spend in a later burst. */
export const LEASE_MS = 1_000;
/** After a failed claim, how long the process limits on its own before asking the database again. */
export const FALLBACK_MS = 5_000;
/** Default cap on the permits one claim takes. */
export const DEFAULT_MAX_BATCH = 100;

/** Permits per claim: a twentieth of a second's worth, at least 1, at most `maxBatch` and the burst. */
export function batchFor(rule: BucketRule, maxBatch = DEFAULT_MAX_BATCH): number {
  return Math.max(1, Math.min(maxBatch, Math.floor(rule.burst), Math.round(rule.rate / 20)));
}

interface Lease {
  permits: number;
  expiresAt: number;
  /** No claim before this instant: the shared bucket did not hold a full batch at the last claim. */
  blockedUntil: number;
  claiming: Promise<void> | undefined;
}

const OK: Take = { ok: true };

export interface SharedBucketsOptions {
  readonly maxBatch?: number;
  readonly leaseMs?: number;
  readonly fallbackMs?: number;
  /** Told when a claim fails (the limiter then counts in this process alone for `fallbackMs`). */
  readonly onError?: (error: unknown) => void;
}

export class SharedBuckets implements Limiter {
  readonly batch: number;
  /** Claims issued (each one database statement) and claims that failed. */
  readonly stats = { claims: 0, failures: 0 };
  private readonly leases = new Map<string, Lease>();
  private readonly fallback: TokenBuckets;
  private readonly lowWater: number;
  private readonly leaseMs: number;
  private readonly fallbackMs: number;
  private fallbackUntil = Number.NEGATIVE_INFINITY;

  constructor(
    readonly scope: string,
    private readonly rule: BucketRule,
    private readonly clock: Clock,
    private readonly store: RateLimitStore,
    private readonly options: SharedBucketsOptions = {},
  ) {
    this.batch = batchFor(rule, options.maxBatch);
    // Large batches are topped up in the background before they run out, so requests rarely wait for a claim.
    this.lowWater = Math.floor(this.batch / 4);
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.fallbackMs = options.fallbackMs ?? FALLBACK_MS;
    this.fallback = new TokenBuckets(rule, clock);
  }

  take(key: string): Take | Promise<Take> {
    const now = this.clock.now().getTime();
    if (now < this.fallbackUntil) return this.fallback.take(key);
    const lease = this.leaseOf(key, now);
    return this.fromLease(key, lease, now) ?? this.waitForClaim(key, lease);
  }

  /** Deletes this scope's shared buckets that have been idle long enough to be full again. */
  purge(): Promise<number> {
    const refillMs = Math.ceil((this.rule.burst / this.rule.rate) * 1000);
    return this.store.purge(this.scope, this.clock.now().getTime() - refillMs - this.leaseMs);
  }

  private leaseOf(key: string, now: number): Lease {
    let lease = this.leases.get(key);
    if (lease) {
      this.leases.delete(key); // re-inserted below: Map order is the LRU order
    } else {
      lease = { permits: 0, expiresAt: now, blockedUntil: Number.NEGATIVE_INFINITY, claiming: undefined };
    }
    this.leases.set(key, lease);
    if (this.leases.size > MAX_BUCKETS) this.leases.delete(this.leases.keys().next().value as string);
    return lease;
  }

  /** Answers from the local lease, or undefined when only a claim can tell. */
  private fromLease(key: string, lease: Lease, now: number): Take | undefined {
    if (lease.expiresAt <= now) lease.permits = 0;
    if (lease.permits >= 1) {
      lease.permits -= 1;
      if (this.lowWater > 0 && lease.permits <= this.lowWater && !lease.claiming && lease.blockedUntil <= now) {
        this.claim(key, lease, now);
      }
      return OK;
    }
    if (lease.blockedUntil > now) {
      // RFC 9110 §10.2.3: Retry-After in whole seconds, at least 1.
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((lease.blockedUntil - now) / 1000)) };
    }
    return undefined;
  }

  private async waitForClaim(key: string, lease: Lease): Promise<Take> {
    for (;;) {
      // Requests for one key that arrive together share one claim.
      await (lease.claiming ?? this.claim(key, lease, this.clock.now().getTime()));
      const now = this.clock.now().getTime();
      if (now < this.fallbackUntil) return this.fallback.take(key);
      // Each claim either grants permits, blocks the key for a while, or fails, so this ends.
      const answer = this.fromLease(key, lease, now);
      if (answer) return answer;
    }
  }

  private claim(key: string, lease: Lease, now: number): Promise<void> {
    const want = this.batch;
    this.stats.claims += 1;
    const claiming = this.store
      .claim(this.scope, key, this.rule, want, now)
      .then(
        ({ granted, tokens }) => {
          if (granted > 0) {
            lease.permits += granted;
            lease.expiresAt = now + this.leaseMs;
          }
          // The bucket could not fill a whole batch: ask again only once it can (at the rule's rate), and refuse
          // in between from memory, so a flooding key costs the database one statement per batch too.
          if (granted < want) lease.blockedUntil = now + Math.ceil(((want - tokens) / this.rule.rate) * 1000);
        },
        (error: unknown) => {
          this.stats.failures += 1;
          this.fallbackUntil = now + this.fallbackMs;
          this.options.onError?.(error);
        },
      )
      .finally(() => {
        lease.claiming = undefined;
      });
    lease.claiming = claiming;
    return claiming;
  }
}
