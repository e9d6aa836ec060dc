// A user's direct groups read in the same statement as the user (ADR 0045): on PostgreSQL every statement is a
// round trip, and a GET or an IdP's lookup used to be three (token, user, groups); the groups now ride along.
import { type RawBuilder, sql } from 'kysely';
import type { GroupRef } from '../../core/scim/records.ts';

/**
 * The `direct_groups` column: the user's groups as a JSON array of [id, displayName], ordered by group id as
 * `groupsOf` orders them; `[]` for none. A correlated subquery on the member index, so a row costs its own
 * memberships. SQLite is told the index (its planner has no statistics, see memberships.ts).
 */
export function directGroupsColumn(dialect: 'sqlite' | 'postgres'): RawBuilder<unknown> {
  const aggregate =
    dialect === 'postgres'
      ? sql`coalesce(json_agg(json_build_array(g.id, g.display_name) order by g.id), '[]'::json)`
      : sql`json_group_array(json_array(g.id, g.display_name) order by g.id)`;
  const memberIndex = dialect === 'postgres' ? sql`` : sql`indexed by scim_group_members_member`;
  return sql`(select ${aggregate} from scim_group_members m ${memberIndex}
    join scim_groups g on g.tenant_id = m.tenant_id and g.id = m.group_id
    where m.tenant_id = r.tenant_id and m.member_id = r.id)`;
}

/** The column's value (JSON text on SQLite, parsed by the driver on PostgreSQL) as the groups a user renders. */
export function parseDirectGroups(value: unknown): readonly GroupRef[] {
  const pairs = (typeof value === 'string' ? JSON.parse(value) : value) as [string, string][];
  return pairs.map(([id, display]) => ({ value: id, display }));
}
