// Password rules (NIST SP 800-63B §5.1.1.2, ADR 0041) and setting a password during an enrolment. No composition
// rules, no forced rotation: length, a blocklist of common passwords, and nothing else.
import { hashArgon2 } from '../../lib/argon2-password.ts';
import { isCommonPassword } from '../../lib/common-passwords.ts';
import { recordAudit } from '../audit/audit.ts';
import { primaryEmail } from '../domains/policy.ts';
import type { StoredUser } from '../scim/records.ts';
import type { CredentialDeps } from './deps.ts';

export const MIN_PASSWORD_CODE_POINTS = 8;
/** NIST asks for at least 64; long passphrases are welcome, but a megabyte is not a password (hashing cost). */
export const MAX_PASSWORD_CODE_POINTS = 256;

export type PasswordProblem = 'too_short' | 'too_long' | 'common';

export const PASSWORD_PROBLEMS: Record<PasswordProblem, string> = {
  too_short: `Use at least ${MIN_PASSWORD_CODE_POINTS} characters.`,
  too_long: `Use at most ${MAX_PASSWORD_CODE_POINTS} characters.`,
  common: 'This password is too common: it appears in lists of leaked passwords. Choose another.',
};

/** Length counts Unicode code points after NFC, so "é" typed either way counts once. */
export function passwordProblem(password: string): PasswordProblem | undefined {
  const length = [...password.normalize('NFC')].length;
  if (length < MIN_PASSWORD_CODE_POINTS) return 'too_short';
  if (length > MAX_PASSWORD_CODE_POINTS) return 'too_long';
  return isCommonPassword(password) ? 'common' : undefined;
}

/** The folded form of an address typed at sign-in: trimmed, NFC, lower case. */
export function loginKeyOf(address: string): string {
  return address.trim().normalize('NFC').toLowerCase();
}

/** What a person signs in with: the primary email, else the userName; another user's address is never taken. */
async function loginKeyFor(deps: CredentialDeps, user: StoredUser): Promise<string> {
  const userName = typeof user.data.userName === 'string' ? user.data.userName : user.id;
  const email = primaryEmail(user.data);
  if (email !== undefined) {
    const key = loginKeyOf(email);
    const holder = await deps.credentials.passwords.findByLogin(user.tenantId, key);
    if (!holder || holder.userId === user.id) return key;
  }
  return loginKeyOf(userName);
}

export async function setPassword(
  deps: CredentialDeps,
  tenantId: string,
  userId: string,
  password: string,
): Promise<{ ok: true } | { ok: false; problem: PasswordProblem | 'no_user' }> {
  const problem = passwordProblem(password);
  if (problem) return { ok: false, problem };
  const user = await deps.credentials.users.get(tenantId, userId);
  if (!user) return { ok: false, problem: 'no_user' };
  const hash = await hashArgon2(password);
  const loginKey = await loginKeyFor(deps, user);
  const now = deps.clock.now();
  const existing = await deps.credentials.passwords.get(tenantId, userId);
  await deps.credentials.transaction(async (tx) => {
    await tx.passwords.put({
      tenantId,
      userId,
      loginKey,
      hash,
      createdAt: existing?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    });
    await recordAudit(tx, now, {
      tenantId,
      actor: `user:${userId}`,
      action: existing ? 'credentials.password_changed' : 'credentials.password_set',
      target: userId,
    });
  });
  return { ok: true };
}
