// Password reset by email (ADR 0040): every request gets the same answer; only an account that can sign in with a
// password (has one, is active, is not bound to SSO by the domain policy) gets a link, valid once for an hour.
import { recordAudit } from '../audit/audit.ts';
import { isSignInAllowed } from '../signin/account.ts';
import { type LinkDeps, queueLink } from './links.ts';
import { loginKeyOf } from './passwords.ts';
import { ownCredentialsAllowed } from './policy.ts';

/** Queues a reset mail when the address names an account that may have one; answers whether it did (audit only). */
export async function requestReset(deps: LinkDeps, tenantId: string, address: string): Promise<boolean> {
  const key = loginKeyOf(address);
  const byLogin = key === '' ? undefined : await deps.credentials.passwords.findByLogin(tenantId, key);
  const user = byLogin
    ? await deps.credentials.users.get(tenantId, byLogin.userId)
    : key === ''
      ? undefined
      : await deps.credentials.users.findByUserName(tenantId, key);
  const password = user && (byLogin ?? (await deps.credentials.passwords.get(tenantId, user.id)));
  const allowed =
    user !== undefined &&
    password !== undefined &&
    isSignInAllowed(user) &&
    (await ownCredentialsAllowed(deps, tenantId, user)).allowed;
  const now = deps.clock.now();
  await deps.credentials.transaction(async (tx) => {
    if (allowed && user) {
      const link = await queueLink(deps, tx, {
        tenantId,
        userId: user.id,
        email: address.trim(),
        purpose: 'reset',
        createdBy: 'self',
      });
      await recordAudit(tx, now, {
        tenantId,
        actor: 'anonymous',
        action: 'credentials.reset_requested',
        target: user.id,
        data: { linkId: link.id },
      });
    } else {
      await recordAudit(tx, now, {
        tenantId,
        actor: 'anonymous',
        action: 'credentials.reset_refused',
        target: user?.id ?? null,
      });
    }
  });
  return allowed;
}
