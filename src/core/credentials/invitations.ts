// Invitations (POST/GET/DELETE /iam/v1/invitations, ADR 0040): an admin invites an email address; the invitation
// targets the tenant's user with that userName, or creates one (userName and primary email = the address). The
// mail goes out after commit (mail-outbox.ts). Without ROSTER_SMTP_URL, invitations are refused up front.
import { newId } from '../../lib/ids.ts';
import { URN } from '../../scim/schema/urns.ts';
import { recordAudit } from '../audit/audit.ts';
import { domainOfAddress } from '../domains/names.ts';
import { DomainError, invalid } from '../errors.ts';
import { userWritten } from '../scim/events.ts';
import type { ScimStore } from '../scim/ports.ts';
import type { StoredUser } from '../scim/records.ts';
import { type LinkDeps, type LinkState, linkState, queueLink } from './links.ts';
import { ownCredentialsAllowed } from './policy.ts';
import type { CredentialLinkRecord } from './ports.ts';

export interface InvitationDeps extends LinkDeps {
  readonly scim: ScimStore;
  /** Whether mail can go out (ROSTER_SMTP_URL set). */
  readonly mailConfigured: boolean;
}

export interface InvitationView {
  readonly id: string;
  readonly email: string;
  readonly userId: string;
  readonly state: LinkState;
  readonly mail: CredentialLinkRecord['mail']['status'];
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly createdBy: string;
}

export function invitationView(link: CredentialLinkRecord, now: Date): InvitationView {
  return {
    id: link.id,
    email: link.email,
    userId: link.userId,
    state: linkState(link, now),
    mail: link.mail.status,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    createdBy: link.createdBy,
  };
}

const ROLE_KEY = /^[a-z][a-z0-9_.:-]{0,63}$/;

function readInput(body: unknown): { email: string; roles: readonly string[] | undefined } {
  const input = (body ?? {}) as { email?: unknown; roles?: unknown };
  if (typeof input.email !== 'string' || input.email.length > 320 || !domainOfAddress(input.email.trim())) {
    throw invalid('email', 'must be an email address');
  }
  let roles: string[] | undefined;
  if (input.roles !== undefined) {
    if (!Array.isArray(input.roles) || input.roles.length > 100) throw invalid('roles', 'must be a list of role keys');
    roles = [
      ...new Set(
        input.roles.map((r, i) => {
          if (typeof r !== 'string' || !ROLE_KEY.test(r)) throw invalid(`roles[${i}]`, 'must be a role key');
          return r;
        }),
      ),
    ].sort();
  }
  return { email: input.email.trim(), roles };
}

function newUser(tenantId: string, email: string, now: string): StoredUser {
  return {
    tenantId,
    id: newId(),
    data: {
      schemas: [URN.user],
      userName: email,
      active: true,
      emails: [{ value: email, type: 'work', primary: true }],
    },
    version: 1,
    createdAt: now,
    lastModified: now,
    createdByToken: null,
    provider: null,
    passwordHash: null,
  };
}

/** The invited subject: the existing user of that userName, or a new one (with the roles asked for). */
async function targetUser(deps: InvitationDeps, tenantId: string, email: string, roles: readonly string[] | undefined) {
  const existing = await deps.scim.users.findByUserName(tenantId, email);
  if (existing) {
    if (roles !== undefined) {
      throw invalid(
        'roles',
        'apply only when the invitation creates the user; set an existing user’s roles with PUT /iam/v1/directory/users/{id}/roles',
      );
    }
    return existing;
  }
  const now = deps.clock.now().toISOString();
  const user = newUser(tenantId, email, now);
  await deps.scim.transaction(async (tx) => {
    for (const [i, role] of (roles ?? []).entries()) {
      if (!(await tx.roles.get(tenantId, role))) {
        throw new DomainError('role.not_found', `no role "${role}" in this tenant`, [
          { field: `roles[${i}]`, message: 'no such role' },
        ]);
      }
    }
    await tx.users.insert(user);
    if (roles && roles.length > 0) await tx.roles.setDirectRoles(tenantId, user.id, roles, now);
    await userWritten(deps, tx, undefined, user, [], roles ?? []);
  });
  return user;
}

export async function createInvitation(deps: InvitationDeps, actor: string, tenantId: string, body: unknown) {
  if (!deps.mailConfigured) {
    throw new DomainError(
      'invitations.mail_not_configured',
      'invitations are sent by email, and no mail server is configured: set ROSTER_SMTP_URL (and ROSTER_SMTP_FROM)',
    );
  }
  const { email, roles } = readInput(body);
  const user = await targetUser(deps, tenantId, email, roles);
  const permission = await ownCredentialsAllowed(deps, tenantId, user);
  if (!permission.allowed) {
    throw new DomainError(
      'invitations.sso_required',
      'this person must sign in with SSO: their domain is verified and domainPolicy.ssoRequiredForVerifiedDomains is on',
    );
  }
  const now = deps.clock.now();
  const link = await deps.credentials.transaction(async (tx) => {
    const queued = await queueLink(deps, tx, { tenantId, userId: user.id, email, purpose: 'invite', createdBy: actor });
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'credentials.invitation_created',
      target: queued.id,
      data: { userId: user.id },
    });
    return queued;
  });
  return invitationView(link, now);
}

export async function listInvitations(deps: InvitationDeps, tenantId: string) {
  const now = deps.clock.now();
  const links = await deps.credentials.links.list(tenantId, 200);
  return links.filter((l) => l.purpose === 'invite').map((l) => invitationView(l, now));
}

export async function revokeInvitation(deps: InvitationDeps, actor: string, tenantId: string, id: string) {
  const now = deps.clock.now();
  await deps.credentials.transaction(async (tx) => {
    if (!(await tx.links.markRevoked(tenantId, id, now.toISOString()))) {
      const link = await tx.links.get(id);
      if (!link || link.tenantId !== tenantId || link.purpose !== 'invite') {
        throw new DomainError('invitations.not_found', 'no such invitation in this tenant');
      }
      throw new DomainError('invitations.not_revocable', `the invitation is already ${linkState(link, now)}`);
    }
    await recordAudit(tx, now, { tenantId, actor, action: 'credentials.invitation_revoked', target: id });
  });
}
