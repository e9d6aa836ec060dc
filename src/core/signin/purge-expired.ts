// Expired sign-in state (sessions, grants, codes, tokens, interactions) leaves the store in small batches, with the
// event loop free between them, so a purge of a large backlog never stalls the requests running beside it.
import type { OidcPayloadRepository } from './ports.ts';

export interface PurgeOptions {
  /** Rows per DELETE: small enough that one statement holds the writer for a few milliseconds. */
  readonly batchSize?: number;
  /** Waits between batches; the default lets every queued request run first (a macrotask turn). */
  readonly pause?: () => Promise<void>;
}

export const PURGE_BATCH_SIZE = 500;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Deletes every row expired at `nowEpochSeconds`, batch by batch; returns how many went. */
export async function purgeExpiredSignIn(
  payloads: Pick<OidcPayloadRepository, 'purgeExpired'>,
  nowEpochSeconds: number,
  options: PurgeOptions = {},
): Promise<number> {
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const pause = options.pause ?? nextTurn;
  let total = 0;
  for (;;) {
    const removed = await payloads.purgeExpired(nowEpochSeconds, batchSize);
    total += removed;
    // Rows that expire while the purge runs are the next purge's: the cut-off is fixed, so the loop ends.
    if (removed < batchSize) return total;
    await pause();
  }
}
