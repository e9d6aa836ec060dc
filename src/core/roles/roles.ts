// Roles (ADR 0032): the tenant's catalogue, group→role mappings, direct assignment and the default role. Every
// write runs in one SCIM-store transaction with its audit entry and the `user.updated` events of the users whose
// effective roles it changed.
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError, type FieldProblem, invalid } from '../errors.ts';
import { directoryUser, scimBaseUrlOf } from '../events/directory.ts';
import { type DirectoryEvent, newEvent } from '../events/records.ts';
import type { ScimDeps } from '../scim/context.ts';
import type { ScimRepositories } from '../scim/ports.ts';
import type { RoleMappingRecord, RoleRecord } from './ports.ts';

export type RoleDeps = Pick<ScimDeps, 'scim' | 'clock' | 'publicUrl'>;

/** A role key is what apps compare in the `roles` claim: short, lower-case, no spaces or look-alikes. */
const KEY = /^[a-z][a-z0-9_.:-]{0,63}$/;
export const MAX_ROLES_PER_USER = 100;

function checkKey(field: string, key: unknown): string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw invalid(field, 'must be 1–64 characters: a lower-case letter, then lower-case letters, digits, _ . : -');
  }
  return key;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw invalid('name', 'must be 1–200 characters');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw invalid('name', 'must not contain control characters');
  return trimmed;
}

const roleNotFound = (key: string, field = 'role') =>
  new DomainError('role.not_found', `no role with key "${key}" in this tenant`, [
    { field, message: 'must be the key of one of the tenant’s roles' },
  ]);

async function requireRole(tx: ScimRepositories, tenantId: string, key: string, field?: string): Promise<void> {
  if (!(await tx.roles.get(tenantId, key))) throw roleNotFound(key, field);
}

type RoleMap = ReadonlyMap<string, readonly string[]>;
const same = (a: readonly string[] = [], b: readonly string[] = []) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * `user.updated` (changedAttributes ["roles"]) for each user whose effective roles differ between `before` and
 * `after`, carrying the directory representation with the new roles. Costs the users that changed.
 */
async function rolesChanged(
  deps: RoleDeps,
  tx: ScimRepositories,
  tenantId: string,
  before: RoleMap,
  after: RoleMap,
  userIds: readonly string[],
): Promise<number> {
  const changed = userIds.filter((id) => !same(before.get(id), after.get(id)));
  if (changed.length === 0) return 0;
  const groups = await tx.users.groupsOf(tenantId, changed);
  const base = scimBaseUrlOf(deps.publicUrl, tenantId);
  const now = deps.clock.now();
  const events: DirectoryEvent[] = [];
  for (const id of changed) {
    const user = await tx.users.get(tenantId, id);
    if (!user) continue;
    const data = directoryUser(user, groups.get(id) ?? [], base, after.get(id) ?? []);
    events.push(newEvent(newId(), now, tenantId, 'user.updated', { ...data, changedAttributes: ['roles'] }));
  }
  if (events.length > 0) await tx.events.append(events);
  return events.length;
}

/**
 * Runs `change` and makes the role events of `userIds` (read before and after it). For changes whose affected
 * users are known before they run: mappings (the group's members, nested included) and direct assignment.
 */
export async function withRoleEvents<T>(
  deps: RoleDeps,
  tx: ScimRepositories,
  tenantId: string,
  userIds: readonly string[],
  change: () => Promise<T>,
): Promise<T> {
  const before = await tx.roles.effectiveRoles(tenantId, userIds);
  const result = await change();
  const after = await tx.roles.effectiveRoles(tenantId, userIds);
  await rolesChanged(deps, tx, tenantId, before, after, userIds);
  return result;
}

// The catalogue.

export async function createRole(
  deps: RoleDeps,
  actor: string,
  tenantId: string,
  input: { key: string; name: string },
): Promise<RoleRecord> {
  const role: RoleRecord = {
    tenantId,
    key: checkKey('key', input.key),
    name: checkName(input.name),
    createdAt: deps.clock.now().toISOString(),
  };
  return deps.scim.transaction(async (tx) => {
    await tx.roles.insert(role);
    await recordAudit(tx, deps.clock.now(), { tenantId, actor, action: 'role.created', target: role.key });
    return role;
  });
}

export function listRoles(deps: RoleDeps, tenantId: string): Promise<readonly RoleRecord[]> {
  return deps.scim.roles.list(tenantId);
}

/**
 * A role still in use is not deleted (409 `role.in_use`, its uses listed): deleting it would silently take access
 * away from people, or leave a default that names nothing. The admin removes the uses first (ADR 0032).
 */
export async function deleteRole(deps: RoleDeps, actor: string, tenantId: string, key: string): Promise<void> {
  await deps.scim.transaction(async (tx) => {
    if (!(await tx.roles.get(tenantId, key))) throw roleNotFound(key, 'key');
    const uses = await tx.roles.uses(tenantId, key);
    const problems: FieldProblem[] = [];
    if (uses.users > 0) problems.push({ field: 'users', message: `assigned directly to ${uses.users} user(s)` });
    for (const id of uses.mappings) problems.push({ field: 'roleMappings', message: `mapped by role mapping ${id}` });
    if (uses.tenantDefault) problems.push({ field: 'settings.defaultRole', message: 'the tenant’s default role' });
    for (const id of uses.scimTokens)
      problems.push({ field: 'scimTokens', message: `default role of SCIM token ${id}` });
    if (problems.length > 0) {
      throw new DomainError('role.in_use', `role "${key}" is still in use; remove its uses first`, problems);
    }
    await tx.roles.delete(tenantId, key);
    await recordAudit(tx, deps.clock.now(), { tenantId, actor, action: 'role.deleted', target: key });
  });
}

// Group→role mappings.

export async function createRoleMapping(
  deps: RoleDeps,
  actor: string,
  tenantId: string,
  input: { groupId: string; role: string },
): Promise<RoleMappingRecord> {
  const role = checkKey('role', input.role);
  const mapping: RoleMappingRecord = {
    tenantId,
    id: newId(),
    groupId: input.groupId,
    role,
    createdAt: deps.clock.now().toISOString(),
  };
  return deps.scim.transaction(async (tx) => {
    // The group's row lock keeps its deletion from committing alongside (PostgreSQL; SQLite has one writer).
    if (!(await tx.groups.get(tenantId, input.groupId, { lock: 'update' }))) {
      throw new DomainError('directory.not_found', 'no such group in this tenant', [
        { field: 'groupId', message: 'must be the id of a group of this tenant' },
      ]);
    }
    await requireRole(tx, tenantId, role);
    const users = await tx.roles.usersUnder(tenantId, input.groupId);
    await withRoleEvents(deps, tx, tenantId, users, async () => {
      if (!(await tx.roles.insertMapping(mapping))) {
        throw new DomainError('role_mapping.exists', `group ${input.groupId} is already mapped to role "${role}"`);
      }
    });
    await recordAudit(tx, deps.clock.now(), {
      tenantId,
      actor,
      action: 'role_mapping.created',
      target: mapping.id,
      data: { groupId: mapping.groupId, role },
    });
    return mapping;
  });
}

export function listRoleMappings(deps: RoleDeps, tenantId: string): Promise<readonly RoleMappingRecord[]> {
  return deps.scim.roles.listMappings(tenantId);
}

export async function deleteRoleMapping(deps: RoleDeps, actor: string, tenantId: string, id: string): Promise<void> {
  await deps.scim.transaction(async (tx) => {
    const mapping = await tx.roles.getMapping(tenantId, id);
    if (!mapping) throw new DomainError('role_mapping.not_found', 'no such role mapping');
    const users = await tx.roles.usersUnder(tenantId, mapping.groupId);
    await withRoleEvents(deps, tx, tenantId, users, () => tx.roles.deleteMapping(tenantId, id));
    await recordAudit(tx, deps.clock.now(), {
      tenantId,
      actor,
      action: 'role_mapping.deleted',
      target: id,
      data: { groupId: mapping.groupId, role: mapping.role },
    });
  });
}

// Direct assignment.

export interface UserRoles {
  readonly userId: string;
  readonly roles: readonly string[];
  readonly effectiveRoles: readonly string[];
}

export async function setUserRoles(
  deps: RoleDeps,
  actor: string,
  tenantId: string,
  userId: string,
  input: { roles: readonly string[] },
): Promise<UserRoles> {
  if (input.roles.length > MAX_ROLES_PER_USER) throw invalid('roles', `at most ${MAX_ROLES_PER_USER} roles`);
  const roles = [...new Set(input.roles.map((r, i) => checkKey(`roles[${i}]`, r)))].sort();
  return deps.scim.transaction(async (tx) => {
    if (!(await tx.users.get(tenantId, userId, { lock: 'update' }))) {
      throw new DomainError('directory.not_found', 'no such user in this tenant');
    }
    for (const [i, role] of roles.entries()) await requireRole(tx, tenantId, role, `roles[${i}]`);
    const now = deps.clock.now();
    await withRoleEvents(deps, tx, tenantId, [userId], () =>
      tx.roles.setDirectRoles(tenantId, userId, roles, now.toISOString()),
    );
    await recordAudit(tx, now, { tenantId, actor, action: 'user.roles_set', target: userId, data: { roles } });
    const effective = (await tx.roles.effectiveRoles(tenantId, [userId])).get(userId) ?? [];
    return { userId, roles, effectiveRoles: effective };
  });
}

// The default role of users created by SCIM and by JIT.

/**
 * Gives a just-created user its default role (the token's override, else the tenant's), in the create's own
 * transaction: a direct assignment, so changing the default later rewrites nobody. Answers the roles given.
 */
export async function assignDefaultRole(
  tx: ScimRepositories,
  tenantId: string,
  userId: string,
  at: string,
  tokenDefault?: string | null,
): Promise<readonly string[]> {
  return tx.roles.assignDefault(tenantId, userId, tokenDefault ?? null, at);
}

export interface RoleSettings {
  readonly defaultRole: string | null;
}

export async function roleSettings(deps: RoleDeps, tenantId: string): Promise<RoleSettings> {
  return { defaultRole: await deps.scim.roles.defaultRole(tenantId) };
}

/** `defaultRole`: a role key, or null for none. Existing users keep the roles they have. */
export async function setDefaultRole(
  deps: RoleDeps,
  actor: string,
  tenantId: string,
  defaultRole: string | null,
): Promise<RoleSettings> {
  const role = defaultRole === null ? null : checkKey('defaultRole', defaultRole);
  return deps.scim.transaction(async (tx) => {
    if (role !== null) await requireRole(tx, tenantId, role, 'defaultRole');
    await tx.roles.setDefaultRole(tenantId, role);
    await recordAudit(tx, deps.clock.now(), {
      tenantId,
      actor,
      action: 'settings.updated',
      data: { defaultRole: role },
    });
    return { defaultRole: role };
  });
}

/** The effective roles of one user: what the `roles` claim carries. */
export async function effectiveRolesOf(
  repos: Pick<ScimRepositories, 'roles'>,
  tenantId: string,
  userId: string,
): Promise<readonly string[]> {
  return (await repos.roles.effectiveRoles(tenantId, [userId])).get(userId) ?? [];
}
