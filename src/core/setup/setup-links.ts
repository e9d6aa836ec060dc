// Setup links (ADR 0029): the operator hands a customer's IT admin a URL that opens the console for one tenant,
// once. The secret is shown once and kept as a keyed digest; redemption is single-use under concurrency.
import { randomBytes } from 'node:crypto';
import { newTokenId } from '../../lib/ids.ts';
import { digestSecret, verifySecret } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError, invalid } from '../errors.ts';
import type { CoreDeps } from '../ports.ts';
import type { SetupLinkRecord, SetupStore } from './ports.ts';

export interface SetupDeps extends CoreDeps {
  readonly setup: SetupStore;
  /** ROSTER_PUBLIC_URL: links point at `{publicUrl}/console/setup/{secret}`. */
  readonly publicUrl: string;
}

export const DEFAULT_EXPIRY_MINUTES = 60;
export const MAX_EXPIRY_MINUTES = 7 * 24 * 60;

const ID_LENGTH = 22;
const SECRET_LENGTH = 43;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The path segment of a link: `<id>.<secret>`, the id to find the row, the whole digested and compared. */
export function parseSetupSecret(text: string): { id: string } | undefined {
  if (text.length !== ID_LENGTH + 1 + SECRET_LENGTH || text[ID_LENGTH] !== '.') return undefined;
  const id = text.slice(0, ID_LENGTH);
  const secret = text.slice(ID_LENGTH + 1);
  return BASE64URL.test(id) && BASE64URL.test(secret) ? { id } : undefined;
}

export function setupLinkUrl(publicUrl: string, secret: string): string {
  return `${publicUrl}/console/setup/${secret}`;
}

export type SetupLinkState = 'active' | 'used' | 'expired' | 'revoked';

export function stateOf(link: SetupLinkRecord, now: Date): SetupLinkState {
  if (link.usedAt !== null) return 'used';
  if (link.revokedAt !== null) return 'revoked';
  return Date.parse(link.expiresAt) <= now.getTime() ? 'expired' : 'active';
}

function expiryMinutes(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_EXPIRY_MINUTES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_EXPIRY_MINUTES) {
    throw invalid('expiresInMinutes', `must be a whole number of minutes from 1 to ${MAX_EXPIRY_MINUTES} (7 days)`);
  }
  return value;
}

export async function createSetupLink(
  deps: SetupDeps,
  actor: string,
  tenantId: string,
  input: { readonly expiresInMinutes?: unknown },
): Promise<{ record: SetupLinkRecord; url: string }> {
  const minutes = expiryMinutes(input.expiresInMinutes);
  const now = deps.clock.now();
  const id = newTokenId();
  const secret = `${id}.${randomBytes(32).toString('base64url')}`;
  const record: SetupLinkRecord = {
    id,
    tenantId,
    secret: digestSecret(deps.keyring, secret),
    createdBy: actor,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + minutes * 60_000).toISOString(),
    usedAt: null,
    revokedAt: null,
  };
  await deps.setup.transaction(async (tx) => {
    if (!(await tx.tenants.get(tenantId))) throw new DomainError('tenant.not_found', 'no such tenant');
    await tx.setupLinks.insert(record);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'setup_link.created',
      target: id,
      data: { expiresAt: record.expiresAt },
    });
  });
  return { record, url: setupLinkUrl(deps.publicUrl, secret) };
}

export async function listSetupLinks(deps: SetupDeps, tenantId: string): Promise<readonly SetupLinkRecord[]> {
  if (!(await deps.store.tenants.get(tenantId))) throw new DomainError('tenant.not_found', 'no such tenant');
  return deps.setup.setupLinks.list(tenantId);
}

/** Revokes an unused link; a spent one cannot be revoked (it is already dead), and says so. */
export async function revokeSetupLink(deps: SetupDeps, actor: string, tenantId: string, id: string): Promise<void> {
  const now = deps.clock.now();
  await deps.setup.transaction(async (tx) => {
    if (!(await tx.setupLinks.markRevoked(tenantId, id, now.toISOString()))) {
      const link = await tx.setupLinks.get(id);
      if (!link || link.tenantId !== tenantId) throw new DomainError('setup_link.not_found', 'no such setup link');
      throw new DomainError('setup_link.not_revocable', `the setup link is already ${stateOf(link, now)}`);
    }
    await recordAudit(tx, now, { tenantId, actor, action: 'setup_link.revoked', target: id });
  });
}

/** Why a link opens nothing: the console shows each differently. `unknown` covers a wrong or malformed secret. */
export type SetupLinkRefusal = 'unknown' | 'used' | 'expired' | 'revoked';

export type Redemption =
  | { readonly kind: 'redeemed'; readonly tenantId: string; readonly linkId: string }
  | { readonly kind: 'refused'; readonly reason: SetupLinkRefusal };

/** The tenant of the link `secret` names, in whatever state it is; undefined for a wrong or malformed secret. */
export async function setupLinkTenant(deps: SetupDeps, secret: string): Promise<string | undefined> {
  const parsed = parseSetupSecret(secret);
  const link = parsed && (await deps.setup.setupLinks.get(parsed.id));
  return link && verifySecret(deps.keyring, secret, link.secret) ? link.tenantId : undefined;
}

/**
 * Opens a link exactly once: the digest is checked in constant time, then one conditional update marks it used —
 * of two concurrent redemptions exactly one gets the tenant. Refusals of a known link are audited too (a second
 * opening of a link may mean it was intercepted).
 */
export async function redeemSetupLink(deps: SetupDeps, secret: string, origin?: string): Promise<Redemption> {
  const parsed = parseSetupSecret(secret);
  const link = parsed && (await deps.setup.setupLinks.get(parsed.id));
  if (!link || !verifySecret(deps.keyring, secret, link.secret)) return { kind: 'refused', reason: 'unknown' };
  const now = deps.clock.now();
  return deps.setup.transaction(async (tx): Promise<Redemption> => {
    const data = origin ? { origin } : {};
    if (await tx.setupLinks.markUsed(link.id, now.toISOString())) {
      await recordAudit(tx, now, {
        tenantId: link.tenantId,
        actor: `setup_link:${link.id}`,
        action: 'setup_link.used',
        target: link.id,
        data,
      });
      return { kind: 'redeemed', tenantId: link.tenantId, linkId: link.id };
    }
    const current = (await tx.setupLinks.get(link.id)) ?? link;
    const state = stateOf(current, now);
    const reason: SetupLinkRefusal = state === 'active' ? 'used' : state;
    await recordAudit(tx, now, {
      tenantId: link.tenantId,
      actor: `setup_link:${link.id}`,
      action: 'setup_link.refused',
      target: link.id,
      data: { reason, ...data },
    });
    return { kind: 'refused', reason };
  });
}
