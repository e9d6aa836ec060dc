// Expired sign-in state (sessions, grants, codes, tokens, interactions), and setup links and test sign-ins long past
// their expiry, leave the store in small, paced batches (core/retention/paced-batches.ts), so a purge of a large
// backlog never stalls the requests running beside it.
import { inPacedBatches, type PurgeOptions } from '../retention/paced-batches.ts';
import type { SetupLinkRepository, TestSignInRepository } from '../setup/ports.ts';
import type { OidcPayloadRepository } from './ports.ts';

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
  return inPacedBatches((limit) => payloads.purgeExpired(nowEpochSeconds, limit), options);
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
  const links = await inPacedBatches((limit) => setup.setupLinks.purgeExpired(before, limit), options);
  return links + (await inPacedBatches((limit) => setup.testSignIns.purgeExpired(before, limit), options));
}
