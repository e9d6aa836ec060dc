// Signing in with email and password (ADR 0040/0041). Every failure reads the same to the person and costs the same
// Argon2 work (an unknown account verifies against a dummy hash); the precise reason goes to the audit trail.
import { verifyArgon2, verifyDummy } from '../../lib/argon2-password.ts';
import { recordAudit } from '../audit/audit.ts';
import { isSignInAllowed } from '../signin/account.ts';
import type { CredentialDeps } from './deps.ts';
import { loginKeyOf } from './passwords.ts';
import { ownCredentialsAllowed } from './policy.ts';
import type { PasswordRecord } from './ports.ts';
import { hasConfirmedTotp } from './totp.ts';

export type PasswordFailure = 'unknown_account' | 'no_password' | 'wrong_password' | 'inactive' | 'sso_required';

export type PasswordOutcome =
  | { readonly kind: 'signed-in'; readonly userId: string; readonly needsTotp: boolean }
  | { readonly kind: 'refused'; readonly reason: PasswordFailure; readonly userId?: string };

/** The password row an address names: by the login address, else by the userName it folds to. */
async function findPassword(deps: CredentialDeps, tenantId: string, address: string) {
  const key = loginKeyOf(address);
  const byLogin = await deps.credentials.passwords.findByLogin(tenantId, key);
  if (byLogin) return { userId: byLogin.userId, password: byLogin as PasswordRecord | undefined };
  const user = key === '' ? undefined : await deps.credentials.users.findByUserName(tenantId, key);
  if (!user) return undefined;
  return { userId: user.id, password: await deps.credentials.passwords.get(tenantId, user.id) };
}

export async function signInWithPassword(
  deps: CredentialDeps,
  tenantId: string,
  address: string,
  password: string,
): Promise<PasswordOutcome> {
  const found = await findPassword(deps, tenantId, address);
  let outcome: PasswordOutcome;
  if (!found?.password) {
    await verifyDummy(password);
    outcome = found
      ? { kind: 'refused', reason: 'no_password', userId: found.userId }
      : { kind: 'refused', reason: 'unknown_account' };
  } else if (!(await verifyArgon2(found.password.hash, password))) {
    outcome = { kind: 'refused', reason: 'wrong_password', userId: found.userId };
  } else {
    outcome = await afterPassword(deps, tenantId, found.userId);
  }
  await audit(deps, tenantId, outcome);
  return outcome;
}

/** The right password: the subject must still be allowed in (active, and not bound to SSO by the domain policy). */
async function afterPassword(deps: CredentialDeps, tenantId: string, userId: string): Promise<PasswordOutcome> {
  const user = await deps.credentials.users.get(tenantId, userId);
  if (!isSignInAllowed(user)) return { kind: 'refused', reason: 'inactive', userId };
  const permission = await ownCredentialsAllowed(deps, tenantId, user);
  if (!permission.allowed) return { kind: 'refused', reason: permission.reason, userId };
  return { kind: 'signed-in', userId, needsTotp: await hasConfirmedTotp(deps, tenantId, userId) };
}

async function audit(deps: CredentialDeps, tenantId: string, outcome: PasswordOutcome) {
  const userId = outcome.userId ?? null;
  await recordAudit(deps.credentials, deps.clock.now(), {
    tenantId,
    actor: userId ? `user:${userId}` : 'anonymous',
    action: outcome.kind === 'signed-in' ? 'credentials.password_accepted' : 'credentials.signin_refused',
    target: userId,
    data: outcome.kind === 'signed-in' ? { totpRequired: outcome.needsTotp } : { reason: outcome.reason },
  });
}
