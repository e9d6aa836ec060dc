// A user's direct groups read in the same statement as the user, on PostgreSQL (ADR 0045): there every statement is
// a round trip, and a GET or an IdP's lookup used to be three (token, user, groups); the groups now ride along.
// SQLite keeps the separate read: its statements are synchronous calls on the read connection, and an A/B did not
// show the merged statement cheaper there.
import { type RawBuilder, sql } from 'kysely';
import type { GroupRef } from '../../core/scim/records.ts';

/** Whether a dialect reads a user's groups in the user's statement. */
export const groupsRideAlong = (dialect: 'sqlite' | 'postgres') => dialect === 'postgres';

/**
 * The `direct_groups` column (PostgreSQL): the user's groups as a JSON array of [id, displayName], ordered by group
 * id as `groupsOf` orders them; `[]` for none. A correlated subquery on the member index, so a row costs its own
 * memberships.
 */
export function directGroupsColumn(): RawBuilder<unknown> {
  return sql`(select coalesce(json_agg(json_build_array(g.id, g.display_name) order by g.id), '[]'::json)
    from scim_group_members m join scim_groups g on g.tenant_id = m.tenant_id and g.id = m.group_id
    where m.tenant_id = r.tenant_id and m.member_id = r.id)`;
}

/** The column's value (parsed by the driver) as the groups a user renders. */
export function parseDirectGroups(value: unknown): readonly GroupRef[] {
  const pairs = (typeof value === 'string' ? JSON.parse(value) : value) as [string, string][];
  return pairs.map(([id, display]) => ({ value: id, display }));
}
