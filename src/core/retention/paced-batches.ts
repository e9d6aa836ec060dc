// Retention purges run batch by batch, and pace themselves so that requests keep most of the process.
//
// A batch is a DELETE of a bounded number of rows. On SQLite it runs on the event loop's one writer connection, so
// while it runs no request is served, and a backlog of a million rows deleted in one statement stalls every request
// for its whole duration. Batches bound each stall. Pacing bounds their sum: after a batch that took t ms the purge
// waits t × (1 − share) / share ms, so it takes at most `share` of the process while a backlog lasts, however large.

import type { Clock } from '../../lib/clock.ts';

export interface PurgeOptions {
  /** Rows per DELETE: small enough that one statement holds the writer for a few milliseconds. */
  readonly batchSize?: number;
  /** The most of the process a purge takes while it runs (0 < share ≤ 1); the rest is left to requests. */
  readonly share?: number;
  /** Waits between batches, given how long the last batch took; the default is the pace `share` sets. */
  readonly pause?: (batchMs: number) => Promise<void>;
}

export const PURGE_BATCH_SIZE = 500;
export const PURGE_SHARE = 0.25;

/** At least one macrotask turn, so the requests queued during a batch always run before the next one. */
function paceFor(share: number): (batchMs: number) => Promise<void> {
  return (batchMs) => {
    const waitMs = (batchMs * (1 - share)) / share;
    return new Promise<void>((resolve) => {
      if (waitMs < 1) setImmediate(resolve);
      else setTimeout(resolve, waitMs);
    });
  };
}

/**
 * Calls `purgeBatch(limit)` until it removes fewer than `limit` rows, pausing between batches; returns how many
 * went. Each batch picks its rows by a cut-off fixed by the caller, so rows that become due meanwhile are left to the
 * next purge and the loop ends.
 */
export async function inPacedBatches(
  purgeBatch: (limit: number) => Promise<number>,
  options: PurgeOptions = {},
): Promise<number> {
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const pause = options.pause ?? paceFor(options.share ?? PURGE_SHARE);
  let total = 0;
  for (;;) {
    const started = performance.now();
    const removed = await purgeBatch(batchSize);
    total += removed;
    if (removed < batchSize) return total;
    await pause(performance.now() - started);
  }
}

/**
 * Rows kept `retentionDays`, purged in paced batches: `purgeBatch(cutoff, limit)` deletes at most `limit` rows older
 * than `cutoff` (an ISO time fixed when the purge starts).
 */
export function purgeOlderThan(
  clock: Clock,
  retentionDays: number,
  purgeBatch: (cutoff: string, limit: number) => Promise<number>,
  options?: PurgeOptions,
): Promise<number> {
  const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000).toISOString();
  return inPacedBatches((limit) => purgeBatch(cutoff, limit), options);
}
