// Role events of SCIM membership changes (ADR 0032): a group write that changes who is in a group carrying roles
// (mapped itself, or nested in a mapped group) makes `user.updated` for each user whose effective roles moved.
// Cost follows the change: one upward walk from the group decides whether roles are involved at all; only then are
// the users the operations name (and the users of groups they name) read before and after.
import type { ScimDeps } from '../scim/context.ts';
import type { ScimRepositories } from '../scim/ports.ts';
import { idsNamed, type MemberChange } from '../scim/records.ts';
import { withRoleEvents } from './roles.ts';

type Deps = Pick<ScimDeps, 'scim' | 'clock' | 'publicUrl'>;

/** The users whose roles `changes` to `groupId` may move: those named, those under named groups, or all its users. */
async function touchedUsers(
  tx: ScimRepositories,
  tenantId: string,
  groupId: string,
  changes: readonly MemberChange[],
): Promise<string[]> {
  const out = new Set<string>();
  if (changes.some((c) => c.kind === 'removeAll' || c.kind === 'removeWhere')) {
    for (const id of await tx.roles.usersUnder(tenantId, groupId)) out.add(id);
  }
  const named = changes.flatMap(idsNamed);
  const kinds = await tx.groups.resolveMembers(tenantId, named);
  for (const [id, kind] of kinds) {
    if (kind === 'User') out.add(id);
    else for (const user of await tx.roles.usersUnder(tenantId, id)) out.add(user);
  }
  return [...out];
}

/** Runs a membership change of `groupId` with its role events; a group that carries no roles costs one query. */
export async function withMembershipRoleEvents<T>(
  deps: Deps,
  tx: ScimRepositories,
  tenantId: string,
  groupId: string,
  changes: readonly MemberChange[],
  change: () => Promise<T>,
): Promise<T> {
  if (changes.length === 0 || !(await tx.roles.groupCarriesRoles(tenantId, groupId))) return change();
  const users = await touchedUsers(tx, tenantId, groupId, changes);
  return withRoleEvents(deps, tx, tenantId, users, change);
}
