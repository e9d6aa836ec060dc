// Load statistics: latencies, statuses and outcomes per operation; percentiles; a seeded PRNG for reproducible runs.
import type { Reply } from './client.ts';

export class Stats {
  readonly latencies: number[] = [];
  /** When each request completed (performance.now()), parallel to `latencies`. */
  readonly ends: number[] = [];
  readonly statuses = new Map<number, number>();
  readonly byOp = new Map<string, number[]>();
  requests = 0;
  transportErrors = 0;
  serverErrors = 0;
  throttled = 0;
  /** 429s without an integer Retry-After ≥ 1. */
  badRetryAfter = 0;
  /** Statuses neither 2xx, 429 (throttled), nor the answer the operation expects. */
  unexpected = 0;
  readonly unexpectedSamples: string[] = [];
  /** Reads of a resource with no write in flight that disagreed with the ledger. */
  staleReads = 0;

  record(op: string, reply: Reply, expected: (status: number) => boolean): void {
    this.requests += 1;
    this.latencies.push(reply.ms);
    this.ends.push(performance.now());
    const list = this.byOp.get(op) ?? [];
    this.byOp.set(op, list);
    list.push(reply.ms);
    this.statuses.set(reply.status, (this.statuses.get(reply.status) ?? 0) + 1);
    if (reply.status === 0) this.transportErrors += 1;
    else if (reply.status >= 500) this.serverErrors += 1;
    else if (reply.status === 429) {
      this.throttled += 1;
      const retryAfter = reply.headers['retry-after'];
      if (typeof retryAfter !== 'string' || !/^[1-9][0-9]*$/.test(retryAfter)) this.badRetryAfter += 1;
    } else if (!expected(reply.status)) {
      this.unexpected += 1;
      if (this.unexpectedSamples.length < 5)
        this.unexpectedSamples.push(`${op} ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
    }
  }

  /** Requests answered neither 429 nor with an error: what the tenant got served. */
  get succeeded(): number {
    return this.requests - this.transportErrors - this.serverErrors - this.throttled - this.unexpected;
  }

  merge(other: Stats): Stats {
    const out = new Stats();
    const append = (to: number[], from: readonly number[]) => {
      for (const v of from) to.push(v); // not push(...from): that overflows the stack for long runs
    };
    for (const s of [this, other]) {
      append(out.latencies, s.latencies);
      append(out.ends, s.ends);
      for (const [k, v] of s.statuses) out.statuses.set(k, (out.statuses.get(k) ?? 0) + v);
      for (const [k, v] of s.byOp) {
        const list = out.byOp.get(k) ?? [];
        out.byOp.set(k, list);
        append(list, v);
      }
      out.requests += s.requests;
      out.transportErrors += s.transportErrors;
      out.serverErrors += s.serverErrors;
      out.throttled += s.throttled;
      out.badRetryAfter += s.badRetryAfter;
      out.unexpected += s.unexpected;
      out.staleReads += s.staleReads;
      out.unexpectedSamples.push(...s.unexpectedSamples.slice(0, 5 - out.unexpectedSamples.length));
    }
    return out;
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
}

/** Deterministic PRNG (mulberry32), so a run's operation sequence is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
