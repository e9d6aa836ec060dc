// SCIM users, groups, memberships and the provisioning log on Kysely, composed from one module per concern.
// Every statement is tenant-scoped.
import type { Compilable, Kysely } from 'kysely';
import type { ScimRepositories } from '../../core/scim/ports.ts';
import { userNameKey } from '../../scim/resource/normalize.ts';
import { createEventRepository } from '../events.ts';
import { type FixedQueries, fixedQueries } from '../fixed-queries.ts';
import { createAuditRepository } from '../repositories.ts';
import { createRoleRepository } from '../roles.ts';
import type { Database, ScimUsersTable } from '../schema.ts';
import { createSubjectSessions } from '../signin/subject-sessions.ts';
import { directGroupsColumn, groupsRideAlong } from './direct-groups.ts';
import { createMemberships } from './memberships.ts';
import { createProvisioningLog } from './provisioning-log.ts';
import { resourceTable, type ScimDialect, throwAsUniqueness, USER_NAME_CONFLICT } from './resources.ts';
import { groupRow, readColumns, toGroup, toUser, userRow } from './rows.ts';
import { createUserEmails, emailKeys } from './user-emails.ts';

export function createScimRepositories(
  db: Kysely<Database>,
  d: ScimDialect,
  q: FixedQueries = fixedQueries(db, d.dialect, undefined),
): ScimRepositories {
  const { groupsOf, ...groupMembers } = createMemberships(db, q, d.dialect === 'postgres');
  const users = resourceTable(db, q, d, {
    table: 'scim_users',
    type: 'User',
    toRow: userRow,
    fromRow: toUser,
    conflict: USER_NAME_CONFLICT,
  });
  const emails = createUserEmails(db, q);
  return {
    users: {
      ...users,
      // The email index (ADR 0023) in the same transaction as the user row, and only when the emails change.
      async insert(user) {
        const keys = emailKeys(user.data);
        if (d.dialect === 'postgres' && keys.size > 0) {
          try {
            return await emails.insertWithUser(userRow(user), [...keys]);
          } catch (error) {
            throwAsUniqueness(d.isUniqueViolation, error, USER_NAME_CONFLICT);
          }
        }
        await users.insert(user);
        await emails.inserted(user, keys);
      },
      async update(user, previous) {
        const updated = await users.update(user, previous.version);
        if (updated) await emails.updated(previous, user);
        return updated;
      },
      async delete(previous) {
        const deleted = await users.delete(previous.tenantId, previous.id);
        if (deleted) await emails.deleted(previous);
        return deleted;
      },
      async findByUserName(tenantId, userName) {
        const row = await db
          .selectFrom('scim_users')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('user_name_key', '=', userNameKey(userName))
          .executeTakeFirst();
        return row && toUser(row);
      },
      async findByExternalId(tenantId, externalId, limit) {
        const rows = await db
          .selectFrom('scim_users')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('external_id', '=', externalId)
          .orderBy('id')
          .limit(limit)
          .execute();
        return rows.map(toUser);
      },
      async getWithGroups(tenantId, id) {
        // SQLite: the plain read; the response reads the groups apart, on the synchronous read connection.
        if (!groupsRideAlong(d.dialect)) return users.get(tenantId, id);
        const key = { tenantId, id };
        const row = await q.first<ScimUsersTable & { direct_groups: unknown }, typeof key>(
          'scim_users.getWithGroups',
          (p) =>
            db
              .selectFrom('scim_users as r')
              .select(readColumns('scim_users').map((c) => `r.${c}` as 'r.id'))
              .select(directGroupsColumn().as('direct_groups'))
              .where('r.tenant_id', '=', p('tenantId'))
              .where('r.id', '=', p('id')) as unknown as Compilable<ScimUsersTable & { direct_groups: unknown }>,
          key,
        );
        return row && toUser(row);
      },
      groupsOf,
    },
    sessions: createSubjectSessions(db),
    groups: {
      ...resourceTable(db, q, d, {
        table: 'scim_groups',
        type: 'Group',
        toRow: groupRow,
        fromRow: toGroup,
        conflict: 'a group with this displayName already exists in this tenant',
      }),
      ...groupMembers,
    },
    scimLog: createProvisioningLog(db),
    events: createEventRepository(db, q),
    roles: createRoleRepository(db, d),
    audit: createAuditRepository(db),
  };
}
