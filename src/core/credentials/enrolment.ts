// Enrolment sessions: a short-lived, server-side grant to set up credentials (a password, TOTP, a passkey),
// started when an invitation or reset link is redeemed. The browser holds `<id>.<secret>` in the cookie
// `__Host-roster-enrol` (docs/accounts.md); the row holds only its keyed digest.
import type { CredentialDeps } from './deps.ts';
import { newSecret, secretId, secretMatches } from './secrets.ts';

export const ENROLMENT_MINUTES = 15;

export async function startEnrolment(
  deps: CredentialDeps,
  input: { readonly tenantId: string; readonly userId: string },
): Promise<{ cookieValue: string; expiresAt: string }> {
  const now = deps.clock.now();
  const secret = newSecret(deps.keyring);
  const expiresAt = new Date(now.getTime() + ENROLMENT_MINUTES * 60_000).toISOString();
  await deps.credentials.enrolments.insert({
    id: secret.id,
    tenantId: input.tenantId,
    userId: input.userId,
    secret: secret.digest,
    createdAt: now.toISOString(),
    expiresAt,
  });
  return { cookieValue: secret.text, expiresAt };
}

/** The user the enrolment is for, if the cookie names a live session of this tenant; null otherwise. */
export async function readEnrolment(
  deps: CredentialDeps,
  tenantId: string,
  cookieValue: string | undefined,
): Promise<{ userId: string } | null> {
  const id = secretId(cookieValue);
  if (id === undefined || cookieValue === undefined) return null;
  const row = await deps.credentials.enrolments.get(id);
  if (!row || row.tenantId !== tenantId || !secretMatches(deps.keyring, cookieValue, row.secret)) return null;
  if (Date.parse(row.expiresAt) <= deps.clock.now().getTime()) return null;
  return { userId: row.userId };
}

export async function endEnrolment(deps: CredentialDeps, tenantId: string, cookieValue: string | undefined) {
  const id = secretId(cookieValue);
  if (id !== undefined) await deps.credentials.enrolments.delete(tenantId, id);
}
