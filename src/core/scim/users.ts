// SCIM User use cases: a user is a Roster subject; `active: false` deactivates it, DELETE erases it.
import { newId } from '../../lib/ids.ts';
import { hashPassword } from '../../lib/password.ts';
import { applyPatch } from '../../scim/patch/apply.ts';
import { parsePatchRequest } from '../../scim/patch/message.ts';
import { toStoredResource } from '../../scim/resource/validate.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import { checkScimDomains, touchesDomains } from '../domains/policy.ts';
import { DomainError } from '../errors.ts';
import { changedAttributes } from '../events/directory.ts';
import { assignDefaultRole } from '../roles/roles.ts';
import type { ScimCaller, ScimDeps } from './context.ts';
import { currentForWrite, existing, ifMatchHolds } from './etag.ts';
import { userDeleted, userEvents, userWritten } from './events.ts';
import type { ScimRepositories } from './ports.ts';
import type { ResourceData, StoredUser } from './records.ts';

/** Splits the write-only password off the canonical resource: only its hash is ever stored. */
function withoutPassword(resource: Record<string, unknown>): { data: ResourceData; password: string | undefined } {
  const { password, ...data } = resource;
  return { data, password: typeof password === 'string' ? password : undefined };
}

/** A subject is active unless the IdP says otherwise; stating it makes reads, filters and sign-in agree. */
function withActive<T extends { data: ResourceData }>(parsed: T): T {
  return parsed.data.active === undefined ? { ...parsed, data: { ...parsed.data, active: true } } : parsed;
}

const notFound = () => new DomainError('scim.not_found', 'no such User');

/** Deactivation ends the subject's sign-in sessions and tokens in the same transaction as the write. */
async function endSessionsOnDeactivation(tx: ScimRepositories, before: StoredUser, after: StoredUser): Promise<void> {
  if (before.data.active !== false && after.data.active === false) await tx.sessions.revoke(after.tenantId, after.id);
}

/**
 * domainPolicy.scimRestrictToVerifiedDomains: the tenant's verified domains when the rule is on, read before the
 * write's transaction (on SQLite that transaction holds the one write connection, which the read would wait for).
 */
const domainsToEnforce = (deps: ScimDeps, caller: ScimCaller) =>
  deps.domainGate?.(caller.tenantId, caller.domainPolicy);

/**
 * A write that sets the userName or primary email must keep both in the verified domains. A write that leaves
 * them as they were (deactivating a user who predates the policy) passes.
 */
function enforceDomainPolicy(
  verified: ReadonlySet<string> | undefined,
  before: ResourceData | undefined,
  after: ResourceData,
): void {
  if (verified && (before === undefined || touchesDomains(before, after))) checkScimDomains(verified, after);
}

export async function createUser(deps: ScimDeps, caller: ScimCaller, body: unknown): Promise<StoredUser> {
  const { data, password } = withActive(
    withoutPassword(toStoredResource(body, 'User', scimRegistry, { mode: 'create' })),
  );
  enforceDomainPolicy(await domainsToEnforce(deps, caller), undefined, data);
  const now = deps.clock.now().toISOString();
  const user: StoredUser = {
    tenantId: caller.tenantId,
    id: newId(),
    data,
    version: 1,
    createdAt: now,
    lastModified: now,
    createdByToken: caller.tokenId,
    provider: caller.provider,
    passwordHash: password === undefined ? null : await hashPassword(password),
  };
  // PostgreSQL: the user, its email index, its role and its event in one statement (ADR 0057).
  const single = deps.scim.singleStatement;
  if (single !== undefined) {
    await single.createUser(user, caller.defaultRole ?? null, (roles) => {
      const [created] = userEvents(deps, undefined, user, [], [], roles);
      return created!;
    });
    return { ...user, directGroups: [] };
  }
  // Through a transaction so that concurrent creates share one commit (SQLite group commit).
  const directGroups = await deps.scim.transaction(async (tx) => {
    await tx.users.insert(user);
    const roles = await assignDefaultRole(tx, user.tenantId, user.id, now, caller.defaultRole);
    return userWritten(deps, tx, undefined, user, [], roles);
  });
  return { ...user, directGroups };
}

export function getUser(deps: ScimDeps, caller: ScimCaller, id: string): Promise<StoredUser> {
  const prefetched = caller.prefetchedUser;
  if (prefetched?.id === id) {
    return prefetched.user ? Promise.resolve(prefetched.user) : Promise.reject(notFound());
  }
  return existing({ get: deps.scim.users.getWithGroups }, caller.tenantId, id, notFound);
}

/**
 * A PATCH or PUT in ONE statement (ADR 0057), on the user the token's statement read with its direct groups
 * (PostgreSQL): `write` makes the new user from that read, and the store writes it with its events only if the
 * stored user is still that one. Answers undefined when this cannot serve the request — no such read, an If-Match
 * naming another version, an error found on the read (it may be stale), a deactivation (which ends the user's
 * sessions in a transaction), or a user that moved since — and the caller takes the locked path, which decides on
 * a fresh read exactly as before.
 */
async function writeInOneStatement<W extends { next: StoredUser; changed: readonly string[] }>(
  deps: ScimDeps,
  caller: ScimCaller,
  id: string,
  ifMatch: string | undefined,
  write: (current: StoredUser) => Promise<W | 'unchanged'>,
): Promise<{ user: StoredUser; made: W | 'unchanged' } | undefined> {
  const single = deps.scim.singleStatement;
  const current = caller.prefetchedUser?.id === id ? caller.prefetchedUser.user : undefined;
  const groups = current?.directGroups;
  if (single === undefined || !current || groups === undefined || !ifMatchHolds(ifMatch, current.version)) {
    return undefined;
  }
  let made: W | 'unchanged';
  try {
    made = await write(current);
  } catch {
    return undefined;
  }
  if (made === 'unchanged') return { user: current, made };
  const { next, changed } = made;
  if (current.data.active !== false && next.data.active === false) return undefined;
  const events = userEvents(deps, current, next, changed, groups);
  if (!(await single.updateUser(next, current, groups, events))) return undefined;
  return { user: { ...next, directGroups: groups }, made };
}

/** PUT (RFC 7644 §3.5.1): replaces every writable attribute; readOnly ones are ignored, immutable ones checked. */
export async function replaceUser(
  deps: ScimDeps,
  caller: ScimCaller,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
): Promise<StoredUser> {
  const verified = await domainsToEnforce(deps, caller);
  const replaced = async (current: StoredUser) => {
    const { data, password } = withActive(
      withoutPassword(
        toStoredResource(body, 'User', scimRegistry, { mode: 'replace', existing: { ...current.data, id } }),
      ),
    );
    enforceDomainPolicy(verified, current.data, data);
    const next: StoredUser = {
      ...current,
      data,
      version: current.version + 1,
      lastModified: deps.clock.now().toISOString(),
      // A PUT without password keeps the stored one: it is write-only, so clients cannot echo it back.
      passwordHash: password === undefined ? current.passwordHash : await hashPassword(password),
    };
    const changed = changedAttributes(current.data, next.data);
    return { next, changed: password === undefined ? changed : [...changed, 'password'] };
  };
  const once = await writeInOneStatement(deps, caller, id, ifMatch, replaced);
  if (once) return once.user;
  return deps.scim.transaction(async (tx) => {
    const current = await currentForWrite(tx.users, caller.tenantId, id, ifMatch, notFound);
    const { next, changed } = await replaced(current);
    if (!(await tx.users.update(next, current))) throw notFound();
    await endSessionsOnDeactivation(tx, current, next);
    const directGroups = await userWritten(deps, tx, current, next, changed);
    return { ...next, directGroups };
  });
}

/** PATCH (RFC 7644 §3.5.2): all operations apply or none; an unchanged result is not a write. */
export async function patchUser(
  deps: ScimDeps,
  caller: ScimCaller,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
): Promise<{ user: StoredUser; changed: readonly string[] }> {
  const operations = parsePatchRequest(body);
  const verified = await domainsToEnforce(deps, caller);
  const patched = async (current: StoredUser) => {
    const { next, changes } = applyPatch(current.data, operations, {
      resourceTypeId: 'User',
      registry: scimRegistry,
      resourceId: id,
    });
    const password = changes.password;
    if (changes.changedAttributes.length === 0 && password === undefined) return 'unchanged' as const;
    enforceDomainPolicy(verified, current.data, next);
    const user: StoredUser = {
      ...current,
      data: next,
      version: current.version + 1,
      lastModified: deps.clock.now().toISOString(),
      passwordHash: password === undefined ? current.passwordHash : await hashPassword(password),
    };
    const changed = changes.changedAttributes.filter((a: string) => a !== 'password');
    return {
      next: user,
      changed: password === undefined ? changed : [...changed, 'password'],
      reported: changes.changedAttributes,
    };
  };
  const once = await writeInOneStatement(deps, caller, id, ifMatch, patched);
  if (once) return { user: once.user, changed: once.made === 'unchanged' ? [] : once.made.reported };
  return deps.scim.transaction(async (tx) => {
    const current = await currentForWrite(tx.users, caller.tenantId, id, ifMatch, notFound);
    const made = await patched(current);
    if (made === 'unchanged') return { user: current, changed: [] };
    const { next: user, changed, reported } = made;
    if (!(await tx.users.update(user, current))) throw notFound();
    await endSessionsOnDeactivation(tx, current, user);
    const directGroups = await userWritten(deps, tx, current, user, changed);
    return { user: { ...user, directGroups }, changed: reported };
  });
}

/** DELETE (RFC 7644 §3.6): the subject is erased (not tombstoned); its userName is free again at once. */
export async function deleteUser(
  deps: ScimDeps,
  caller: ScimCaller,
  id: string,
  ifMatch: string | undefined,
): Promise<void> {
  await deps.scim.transaction(async (tx) => {
    const current = await currentForWrite(tx.users, caller.tenantId, id, ifMatch, notFound, 'delete');
    await tx.users.delete(current);
    await tx.sessions.revoke(caller.tenantId, id);
    await userDeleted(deps, tx, current);
  });
}
