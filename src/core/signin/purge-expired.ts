// Expired sign-in state (sessions, grants, codes, tokens, interactions), and setup links and test sign-ins long past
// their expiry, leave the store in small batches, with the event loop free between them, so a purge of a large
// backlog never stalls the requests running beside it.
import type { SetupLinkRepository, TestSignInRepository } from '../setup/ports.ts';
import type { OidcPayloadRepository } from './ports.ts';

export interface PurgeOptions {
  /** Rows per DELETE: small enough that one statement holds the writer for a few milliseconds. */
  readonly batchSize?: number;
  /** Waits between batches; the default lets every queued request run first (a macrotask turn). */
  readonly pause?: () => Promise<void>;
}

export const PURGE_BATCH_SIZE = 500;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Setup links and test sign-ins stay this long past their expiry: an old link still opens the page saying it expired
 * or was used (not "unknown"), and the operator's list and the test's outcome stay readable for a month. The audit
 * log, not these rows, is the lasting record.
 */
export const SETUP_RETENTION_DAYS = 30;

/** Deletes every row expired at `nowEpochSeconds`, batch by batch; returns how many went. */
export async function purgeExpiredSignIn(
  payloads: Pick<OidcPayloadRepository, 'purgeExpired'>,
  nowEpochSeconds: number,
  options: PurgeOptions = {},
): Promise<number> {
  return inBatches((limit) => payloads.purgeExpired(nowEpochSeconds, limit), options);
}

/** Deletes setup links and test sign-ins expired more than SETUP_RETENTION_DAYS before `now`; returns how many. */
export async function purgeExpiredSetup(
  setup: {
    readonly setupLinks: Pick<SetupLinkRepository, 'purgeExpired'>;
    readonly testSignIns: Pick<TestSignInRepository, 'purgeExpired'>;
  },
  now: Date,
  options: PurgeOptions = {},
): Promise<number> {
  const before = new Date(now.getTime() - SETUP_RETENTION_DAYS * 86_400_000).toISOString();
  const links = await inBatches((limit) => setup.setupLinks.purgeExpired(before, limit), options);
  return links + (await inBatches((limit) => setup.testSignIns.purgeExpired(before, limit), options));
}

async function inBatches(purgeBatch: (limit: number) => Promise<number>, options: PurgeOptions): Promise<number> {
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const pause = options.pause ?? nextTurn;
  let total = 0;
  for (;;) {
    const removed = await purgeBatch(batchSize);
    total += removed;
    // Rows that expire while the purge runs are the next purge's: the cut-off is fixed, so the loop ends.
    if (removed < batchSize) return total;
    await pause();
  }
}
