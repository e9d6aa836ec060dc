// SCIM-alone activation (seed 000, ADR 0040): each user a SCIM token created, with a primary email, in a tenant in
// SCIM-alone mode, gets one activation invitation. Read from the committed `user.created` feed after the SCIM
// request is answered — the request never waits on, or fails because of, mail — by one process at a time (a lease
// on the reader's cursor); the mail then leaves through the outbox with its retries.
import { recordAudit } from '../audit/audit.ts';
import { primaryEmail } from '../domains/policy.ts';
import type { EventFeedStore } from '../events/ports.ts';
import { isSignInAllowed } from '../signin/account.ts';
import { type LinkDeps, queueLink } from './links.ts';
import { isScimAlone, ownCredentialsAllowed } from './policy.ts';

export interface ActivationDeps extends LinkDeps {
  readonly feed: EventFeedStore;
}

const PAGE = 100;
const LEASE_MS = 60_000;

/** One pass over the new `user.created` events; answers how many invitations it queued. */
export async function activateNewUsers(deps: ActivationDeps): Promise<number> {
  const now = deps.clock.now();
  const position = await deps.credentials.activationCursor.claim(
    now.toISOString(),
    new Date(now.getTime() + LEASE_MS).toISOString(),
  );
  if (!position) return 0;
  let queued = 0;
  let at = position;
  try {
    const page = await deps.feed.read({
      tenantId: undefined,
      after: at.seq === '0' && at.xid === '0' ? undefined : at,
      limit: PAGE,
      types: ['user.created'],
    });
    const events = page.events.slice(0, PAGE);
    for (const { event, position: next } of events) {
      const userId = typeof event.data.id === 'string' ? event.data.id : undefined;
      if (userId && (await activate(deps, event.tenantId, userId))) queued += 1;
      at = next;
    }
    if (events.length === 0) at = page.horizon;
  } finally {
    await deps.credentials.activationCursor.advance(at);
  }
  return queued;
}

async function activate(deps: ActivationDeps, tenantId: string, userId: string): Promise<boolean> {
  const user = await deps.credentials.users.get(tenantId, userId);
  // SCIM-created only (an invitation's own user, or a just-in-time one, has no SCIM token), active, with an email.
  if (!user || user.createdByToken === null || !isSignInAllowed(user)) return false;
  const email = primaryEmail(user.data);
  if (!email) return false;
  if (!(await isScimAlone(deps, tenantId))) return false;
  if (!(await ownCredentialsAllowed(deps, tenantId, user)).allowed) return false;
  if (await deps.credentials.passwords.get(tenantId, userId)) return false;
  const now = deps.clock.now();
  return deps.credentials.transaction(async (tx) => {
    if (await tx.links.hasActivation(tenantId, userId)) return false;
    const link = await queueLink(deps, tx, { tenantId, userId, email, purpose: 'invite', createdBy: 'activation' });
    await recordAudit(tx, now, {
      tenantId,
      actor: `scim:${user.createdByToken}`,
      action: 'credentials.activation_queued',
      target: link.id,
      data: { userId },
    });
    return true;
  });
}
