// One-time links (ADR 0040): invitations (admin, or SCIM-alone activation) and password resets. A link is
// `<id>.<secret>` kept as a keyed digest; its mail is queued in the same row and sent after commit by the outbox
// (mail-outbox.ts), so no request waits on SMTP and a failed send is retried. Redemption is single-use under
// concurrency (one conditional update) and starts an enrolment session.
import { encryptSecret } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import type { CredentialDeps } from './deps.ts';
import { startEnrolment } from './enrolment.ts';
import type { CredentialLinkRecord, CredentialRepositories, LinkPurpose } from './ports.ts';
import { newSecret, secretId, secretMatches } from './secrets.ts';

export const INVITE_HOURS = 7 * 24;
export const RESET_HOURS = 1;

export interface LinkDeps extends CredentialDeps {
  /** ROSTER_PUBLIC_URL: links point at `{publicUrl}/{tenantId}/signin/activate|reset/{secret}`. */
  readonly publicUrl: string;
}

export function linkPath(tenantId: string, purpose: LinkPurpose, secret: string): string {
  return `/${tenantId}/signin/${purpose === 'invite' ? 'activate' : 'reset'}/${secret}`;
}

export const mailContext = (id: string) => `credential-link-mail:${id}`;

/** Inserts a link with its mail queued (inside the caller's transaction); answers the row. */
export async function queueLink(
  deps: LinkDeps,
  tx: CredentialRepositories,
  input: { tenantId: string; userId: string; email: string; purpose: LinkPurpose; createdBy: string },
): Promise<CredentialLinkRecord> {
  const now = deps.clock.now();
  const secret = newSecret(deps.keyring);
  const url = `${deps.publicUrl}${linkPath(input.tenantId, input.purpose, secret.text)}`;
  const hours = input.purpose === 'invite' ? INVITE_HOURS : RESET_HOURS;
  const record: CredentialLinkRecord = {
    id: secret.id,
    tenantId: input.tenantId,
    userId: input.userId,
    email: input.email,
    purpose: input.purpose,
    secret: secret.digest,
    createdBy: input.createdBy,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + hours * 3_600_000).toISOString(),
    usedAt: null,
    revokedAt: null,
    mail: {
      status: 'queued',
      attempts: 0,
      sealed: encryptSecret(deps.keyring, url, mailContext(secret.id)),
      nextAt: now.toISOString(),
    },
  };
  await tx.links.insert(record);
  // A new link of a purpose replaces the user's older live ones: only the latest mail works.
  await tx.links.revokeOthers(input.tenantId, input.userId, input.purpose, record.id, now.toISOString());
  return record;
}

export type LinkState = 'active' | 'used' | 'expired' | 'revoked';

export function linkState(link: CredentialLinkRecord, now: Date): LinkState {
  if (link.usedAt !== null) return 'used';
  if (link.revokedAt !== null) return 'revoked';
  return Date.parse(link.expiresAt) <= now.getTime() ? 'expired' : 'active';
}

export type LinkRedemption =
  | { readonly kind: 'redeemed'; readonly userId: string; readonly purpose: LinkPurpose; readonly cookieValue: string }
  | { readonly kind: 'refused'; readonly reason: 'unknown' | LinkState };

/**
 * Spends a link once (the button POST on its page, so a mail scanner that fetches the URL spends nothing) and
 * starts an enrolment. The link must be of this tenant and purpose; every outcome of a known link is audited.
 */
export async function redeemLink(
  deps: CredentialDeps,
  tenantId: string,
  purpose: LinkPurpose,
  text: string,
): Promise<LinkRedemption> {
  const id = secretId(text);
  const link = id === undefined ? undefined : await deps.credentials.links.get(id);
  if (
    !link ||
    link.tenantId !== tenantId ||
    link.purpose !== purpose ||
    !secretMatches(deps.keyring, text, link.secret)
  ) {
    return { kind: 'refused', reason: 'unknown' };
  }
  const now = deps.clock.now();
  const actor = `user:${link.userId}`;
  const spent = await deps.credentials.transaction(async (tx) => {
    if (await tx.links.markUsed(link.id, now.toISOString())) {
      await recordAudit(tx, now, {
        tenantId,
        actor,
        action: 'credentials.link_redeemed',
        target: link.id,
        data: { purpose },
      });
      return undefined;
    }
    const current = (await tx.links.get(link.id)) ?? link;
    const state = linkState(current, now);
    const reason = state === 'active' ? 'used' : state;
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'credentials.link_refused',
      target: link.id,
      data: { purpose, reason },
    });
    return reason;
  });
  if (spent !== undefined) return { kind: 'refused', reason: spent };
  const enrolment = await startEnrolment(deps, { tenantId, userId: link.userId });
  return { kind: 'redeemed', userId: link.userId, purpose, cookieValue: enrolment.cookieValue };
}
