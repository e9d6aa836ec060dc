// The directory API's reads (ADR 0021): tenant-scoped keyset pages in id order, each driven by an index so a page
// costs its rows, not the tenant; the email filter searches the email index (ADR 0023).
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DirectoryMember, DirectoryStore } from '../core/directory/ports.ts';
import { checkFilter } from '../scim/filter/check.ts';
import { FILTER_LIMITS } from '../scim/filter/limits.ts';
import { parseFilter } from '../scim/filter/parser.ts';
import { foldCase, userNameKey } from '../scim/resource/normalize.ts';
import { scimRegistry } from '../scim/schema/registry.ts';
import { readFeedHorizon } from './events.ts';
import type { FixedQueries } from './fixed-queries.ts';
import { createRoleRepository } from './roles.ts';
import type { Database, ScimGroupsTable, ScimUsersTable } from './schema.ts';
import { compileFilter } from './scim/filter-sql.ts';
import { chunks, parseJson, str, toGroup, toUser } from './scim/rows.ts';

type Dialect = 'sqlite' | 'postgres';

const RESOURCE_COLUMNS = sql`r.tenant_id, r.id, r.data, r.version, r.created_at, r.last_modified, r.created_by_token, r.provider`;

/**
 * emails.value as the SCIM search compares it (caseExact=false: both sides case-folded), through the same filter
 * compiler, so the directory and `GET /Users?filter=` agree: with the tenant given, a search of the email index
 * (migration 0009, ADR 0023), whose few user ids the page then reads by primary key.
 */
function emailCondition(email: string, dialect: Dialect, tenantId: string): RawBuilder<unknown> {
  // The value is a JSON string literal, however long its escapes make it: the text limit is for clients' filters.
  const text = `emails.value eq ${JSON.stringify(email)}`;
  const node = checkFilter(parseFilter(text, { ...FILTER_LIMITS, maxLength: text.length }), 'User', scimRegistry);
  return compileFilter(node, { resourceTypeId: 'User', dialect, registry: scimRegistry, tenantId });
}

/**
 * `q`: the store's read queries. On SQLite they run on the read connection (WAL: the last committed state), so a
 * listing never waits for a group commit of the writer (ADR 0014); the horizon stays on the writer connection,
 * which between commits sees the same committed state, read before the page as ADR 0021 requires.
 */
export function createDirectoryStore(
  db: Kysely<Database>,
  dialect: Dialect,
  /** The SCIM store's own lookup of users' direct groups (one query, on the member index). */
  groupsOf: DirectoryStore['groupsOf'],
  q?: FixedQueries,
  /** The role store's effective roles (a recursive query following each user's groups, ADR 0032). */
  rolesOf: DirectoryStore['rolesOf'] = createRoleRepository(db, {
    dialect,
    isUniqueViolation: () => false,
  }).effectiveRoles,
): DirectoryStore {
  const rowsOf = async <R>(query: RawBuilder<R>): Promise<R[]> => {
    if (q === undefined) return (await query.execute(db)).rows;
    const compiled = query.compile(db);
    return q.run<R>({ compile: () => compiled });
  };
  return {
    horizon: () => readFeedHorizon(db, dialect),

    async users(tenantId, filter, page) {
      // With groupId the page walks the group's membership rows (primary key (tenant_id, group_id, member_id)) and
      // joins each user; otherwise the users' primary key (tenant_id, id), or the unique userName index, or
      // (tenant_id, external_id, id), or (tenant_id, active, id) from migration 0008.
      const key = filter.groupId === undefined ? sql`r.id` : sql`m.member_id`;
      const where: RawBuilder<unknown>[] = [];
      if (page.afterId !== undefined) where.push(sql`and ${key} > ${page.afterId}`);
      if (filter.userName !== undefined) where.push(sql`and r.user_name_key = ${userNameKey(filter.userName)}`);
      if (filter.externalId !== undefined) where.push(sql`and r.external_id = ${filter.externalId}`);
      // The column is exactly the directory user's `active` (false only when the IdP said active: false).
      // With groupId, unary plus keeps the planner on the membership rows (an index on active would make it walk
      // every inactive user of the tenant, then sort).
      const active = filter.groupId === undefined ? sql`r.active` : sql`+r.active`;
      if (filter.active !== undefined) where.push(sql`and ${active} = ${filter.active ? 1 : 0}`);
      if (filter.email !== undefined) where.push(sql`and ${emailCondition(filter.email, dialect, tenantId)}`);
      const from =
        filter.groupId === undefined
          ? sql`from scim_users r where r.tenant_id = ${tenantId}`
          : sql`from scim_group_members m
                join scim_users r on r.tenant_id = m.tenant_id and r.id = m.member_id
                where m.tenant_id = ${tenantId} and m.group_id = ${filter.groupId}`;
      const rows = await rowsOf(sql<ScimUsersTable>`
        select ${RESOURCE_COLUMNS}, r.password_hash ${from} ${sql.join(where, sql` `)}
        order by ${key} limit ${page.limit + 1}`);
      return rows.map(toUser);
    },

    async user(tenantId, id) {
      const row = (
        await rowsOf(sql<ScimUsersTable>`
          select ${RESOURCE_COLUMNS}, r.password_hash from scim_users r where r.tenant_id = ${tenantId} and r.id = ${id}`)
      )[0];
      return row && toUser(row);
    },

    groupsOf,
    rolesOf,

    async groups(tenantId, filter, page) {
      const where: RawBuilder<unknown>[] = [];
      if (page.afterId !== undefined) where.push(sql`and r.id > ${page.afterId}`);
      // The unique index (tenant_id, display_name_key): displayName is caseExact=false, as in SCIM filters.
      if (filter.displayName !== undefined) where.push(sql`and r.display_name_key = ${foldCase(filter.displayName)}`);
      const rows = await rowsOf(sql<ScimGroupsTable>`
        select ${RESOURCE_COLUMNS} from scim_groups r where r.tenant_id = ${tenantId} ${sql.join(where, sql` `)}
        order by r.id limit ${page.limit + 1}`);
      return rows.map(toGroup);
    },

    async group(tenantId, id) {
      const row = (
        await rowsOf(sql<ScimGroupsTable>`
          select ${RESOURCE_COLUMNS} from scim_groups r where r.tenant_id = ${tenantId} and r.id = ${id}`)
      )[0];
      return row && toGroup(row);
    },

    async memberCounts(tenantId, groupIds) {
      // A range count per group on the membership primary key: a page of groups costs the members it counts.
      const out = new Map<string, number>();
      for (const part of chunks(groupIds)) {
        if (part.length === 0) continue;
        const rows = await rowsOf(sql<{ group_id: string; n: number | string }>`
          select group_id, count(*) as n from scim_group_members
          where tenant_id = ${tenantId} and group_id in (${sql.join(part)}) group by group_id`);
        for (const row of rows) out.set(row.group_id, Number(row.n));
      }
      return out;
    },

    async members(tenantId, groupId, page) {
      const after = page.afterId === undefined ? sql`` : sql`and m.member_id > ${page.afterId}`;
      const rows = await rowsOf(sql<{
        member_id: string;
        member_type: string;
        user_data: string | Record<string, unknown> | null;
        user_name: string | null;
        display_name: string | null;
      }>`
        select m.member_id, m.member_type, u.data as user_data, u.user_name, g.display_name
        from scim_group_members m
        left join scim_users u on u.tenant_id = m.tenant_id and u.id = m.member_id
        left join scim_groups g on g.tenant_id = m.tenant_id and g.id = m.member_id
        where m.tenant_id = ${tenantId} and m.group_id = ${groupId} ${after}
        order by m.member_id limit ${page.limit + 1}`);
      return rows.map((row): DirectoryMember => {
        const isGroup = row.member_type === 'Group';
        // The same display rule as SCIM's members[].display: a user's displayName, else its userName.
        const userDisplay = row.user_data ? str(parseJson(row.user_data).displayName) : null;
        return {
          id: row.member_id,
          type: isGroup ? 'group' : 'user',
          displayName: (isGroup ? row.display_name : (userDisplay ?? row.user_name)) ?? null,
        };
      });
    },
  };
}
