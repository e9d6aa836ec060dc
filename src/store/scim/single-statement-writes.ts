// SCIM user writes in ONE statement on PostgreSQL (ADR 0057), where every statement is a round trip: a create, and
// a PATCH or PUT of the user the token's statement read, were 5 and 7 statements after the token's (BEGIN, the
// writes, the event, COMMIT). Here each is a single data-modifying statement, run outside BEGIN/COMMIT: one
// statement is its own transaction, so it stores all of its rows or none.
import { randomUUID } from 'node:crypto';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DirectoryEvent } from '../../core/events/records.ts';
import type { SingleStatementWrites } from '../../core/scim/ports.ts';
import type { GroupRef } from '../../core/scim/records.ts';
import type { FixedQueries, Param } from '../fixed-queries.ts';
import type { Database } from '../schema.ts';
import { directGroupsColumn } from './direct-groups.ts';
import { throwAsUniqueness, USER_NAME_CONFLICT, writerLockKey } from './resources.ts';
import { userRow } from './rows.ts';
import { emailKeys } from './user-emails.ts';

/**
 * Stands for the create's roles in its event's JSON text: the roles are the token's default role or the tenant's,
 * decided by the statement itself (as the role insert decides it in a transaction), so the text is cut around this
 * mark and the statement puts the roles between. Random per process: no user data can hold it.
 */
const ROLES_MARK = `\u0000roles-${randomUUID()}`;

/** The event's JSON text before and after its roles array. */
function aroundRoles(event: DirectoryEvent): [string, string] {
  const text = JSON.stringify(event.data);
  const mark = JSON.stringify([ROLES_MARK]);
  const at = text.indexOf(mark);
  if (at < 0 || text.indexOf(mark, at + 1) >= 0) throw new Error('user.created: the roles must appear exactly once');
  return [text.slice(0, at), text.slice(at + mark.length)];
}

/** `(v1), (v2), …` of one placeholder list. */
const valuesOf = (items: readonly unknown[]): RawBuilder<unknown> => sql.join(items.map((v) => sql`(${v})`));

/** A statement built from placeholders, compiled (once, by FixedQueries) against `db`. */
const compilable = (db: Kysely<Database>, raw: RawBuilder<unknown>) => ({ compile: () => raw.compile(db) });

/** `[[id, displayName], …]` ordered by id, as directGroupsColumn renders a user's groups. */
const groupPairs = (groups: readonly GroupRef[]) =>
  JSON.stringify([...groups].sort((a, b) => (a.value < b.value ? -1 : 1)).map((g) => [g.value, g.display]));

export function createSingleStatementWrites(
  db: Kysely<Database>,
  q: FixedQueries,
  isUniqueViolation: (error: unknown) => boolean,
): SingleStatementWrites {
  return {
    async createUser(user, tokenDefaultRole, created) {
      const row = userRow(user);
      const keys = [...emailKeys(user.data)];
      const event = created([ROLES_MARK]);
      const [dataBefore, dataAfter] = aroundRoles(event);
      const params = {
        ...row,
        // A list parameter only where the statement has the list (a fixed query binds every parameter it is given).
        ...(keys.length > 0 ? { keys } : {}),
        tokenDefaultRole,
        eventId: event.id,
        eventType: event.type,
        occurredAt: event.occurredAt,
        dataBefore,
        dataAfter,
      };
      const columns = Object.keys(row);
      const build = (p: Param<typeof params>) => {
        const fields = p.fields(row) as unknown as Record<string, unknown>;
        // The user, its email keys, its default role (the token's, else the tenant's, as assignDefault decides) and
        // `user.created` with those roles. Every part reads `u`, so none writes unless the user row was written.
        return compilable(
          db,
          sql`with u as (
              insert into scim_users (${sql.join(columns.map((c) => sql.ref(c)))})
              values (${sql.join(columns.map((c) => sql`${fields[c]}`))})
              returning tenant_id, id),
            ${
              keys.length === 0
                ? sql``
                : sql`em as (insert into scim_user_emails (tenant_id, value_key, user_id)
              select u.tenant_id, k.v, u.id from u cross join (values ${valuesOf(p.each('keys') ?? [])}) as k(v)),`
            }
            r as (insert into user_roles (tenant_id, user_id, role_key, created_at)
              select u.tenant_id, u.id, coalesce(${p('tokenDefaultRole')}::text, s.default_role), ${p('created_at')}
              from u left join tenant_role_settings s on s.tenant_id = u.tenant_id
              where coalesce(${p('tokenDefaultRole')}::text, s.default_role) is not null
              returning role_key),
            rs as (select coalesce(json_agg(role_key order by role_key), '[]'::json)::text as roles from r),
            ev as (insert into events (id, tenant_id, type, occurred_at, data)
              select ${p('eventId')}, u.tenant_id, ${p('eventType')}, ${p('occurredAt')},
                ${p('dataBefore')} || rs.roles || ${p('dataAfter')}
              from u cross join rs)
            select rs.roles from rs`,
        );
      };
      try {
        const result = await q.first<{ roles: string }, typeof params>(
          `scim_users.createInOneStatement.${keys.length}`,
          build,
          params,
        );
        return JSON.parse(result?.roles ?? '[]') as string[];
      } catch (error) {
        return throwAsUniqueness(isUniqueViolation, error, USER_NAME_CONFLICT);
      }
    },

    async updateUser(next, previous, groups, events) {
      if (events.length === 0) throw new Error('a user write has at least one event');
      const { tenant_id, id, created_at, created_by_token, provider, ...changes } = userRow(next);
      const was = emailKeys(previous.data);
      const now = emailKeys(next.data);
      const removed = [...was].filter((k) => !now.has(k));
      const added = [...now].filter((k) => !was.has(k));
      const params = {
        ...changes,
        tenant_id,
        id,
        expectedVersion: previous.version,
        lockKey: writerLockKey('scim_users', tenant_id, id),
        groups: groupPairs(groups),
        ...(removed.length > 0 ? { removed } : {}),
        ...(added.length > 0 ? { added } : {}),
        eventIds: events.map((e) => e.id),
        eventTypes: events.map((e) => e.type),
        eventTimes: events.map((e) => e.occurredAt),
        eventData: events.map((e) => JSON.stringify(e.data)),
      };
      const build = (p: Param<typeof params>) => {
        const fields = p.fields(changes) as unknown as Record<string, unknown>;
        const ids = p.each('eventIds');
        const types = p.each('eventTypes');
        const times = p.each('eventTimes');
        const data = p.each('eventData');
        const eventRows = sql.join(
          events.map((_, i) => sql`(${sql.lit(i)}, ${ids[i]}, ${types[i]}, ${times[i]}, ${data[i]})`),
        );
        // `l` takes the resource's advisory lock, and the row is updated only as part of a join with it: no write of
        // this statement (which is what assigns its xid) can come before the lock, as ADR 0018 requires. The
        // update also requires the version and the direct groups the caller built the write and its events on; a
        // row that moved answers 0 and nothing is written. Every other part writes only for the row `u` returns.
        return compilable(
          db,
          sql`with l as materialized (select pg_advisory_xact_lock(hashtextextended(${p('lockKey')}, 0)) as locked),
            u as (
              update scim_users as r
              set ${sql.join(Object.keys(changes).map((c) => sql`${sql.ref(c)} = ${fields[c]}`))}
              from l
              where r.tenant_id = ${p('tenant_id')} and r.id = ${p('id')} and r.version = ${p('expectedVersion')}
                and ${directGroupsColumn()}::jsonb = ${p('groups')}::jsonb
              returning r.tenant_id, r.id),
            ${
              removed.length === 0
                ? sql``
                : sql`del as (delete from scim_user_emails e using u
              where e.tenant_id = u.tenant_id and e.user_id = u.id and e.value_key in (${sql.join(p.each('removed') ?? [])})),`
            }
            ${
              added.length === 0
                ? sql``
                : sql`ins as (insert into scim_user_emails (tenant_id, value_key, user_id)
              select u.tenant_id, k.v, u.id from u cross join (values ${valuesOf(p.each('added') ?? [])}) as k(v)),`
            }
            ev as (insert into events (id, tenant_id, type, occurred_at, data)
              select e.id, u.tenant_id, e.type, e.occurred_at, e.data
              from u cross join (values ${eventRows}) as e(n, id, type, occurred_at, data)
              order by e.n)
            select count(*)::int as n from u`,
        );
      };
      try {
        const result = await q.first<{ n: number }, typeof params>(
          `scim_users.updateInOneStatement.${removed.length}.${added.length}.${events.length}`,
          build,
          params,
        );
        return result?.n === 1;
      } catch (error) {
        return throwAsUniqueness(isUniqueViolation, error, USER_NAME_CONFLICT);
      }
    },

    async changeGroupMembers({ group, kind, ids, events, lastModified }) {
      if (ids.length === 0 || events.ids.length !== ids.length) throw new Error('one event id per named member');
      const params = {
        lockKey: writerLockKey('scim_groups', group.tenantId, group.id),
        tenantId: group.tenantId,
        groupId: group.id,
        version: group.version,
        ids,
        eventIds: events.ids,
        eventType: events.type,
        occurredAt: events.occurredAt,
        userData: events.userData,
        groupData: events.groupData,
        idMark: events.idMark,
        lastModified,
      };
      // A remove is planned for its ids: a plan made once (for any ids, on early statistics) can read the group's
      // every member row to find them, so a 100-member Remove grew with the group (8.5 → 15.6 ms at 20,000).
      const row = await q.first<{ ok: number; version: number | null; changed: string }, typeof params>(
        `scim_groups.members.${kind}InOneStatement`,
        (p) => compilable(db, groupMembersStatement(kind, p)),
        params,
        { planEach: kind === 'remove' },
      );
      if (row?.ok !== 1) return undefined;
      const changed = (JSON.parse(row.changed) as [string, string][]).map(([value, type]) => ({
        value,
        type: type === 'Group' ? ('Group' as const) : ('User' as const),
      }));
      return { version: row.version ?? undefined, changed };
    },
  };
}

type MembersParams = {
  lockKey: string;
  tenantId: string;
  groupId: string;
  version: number;
  ids: readonly string[];
  eventIds: readonly string[];
  eventType: string;
  occurredAt: string;
  userData: string;
  groupData: string;
  idMark: string;
  lastModified: string;
};

/**
 * A membership PATCH of one kind in ONE statement (ADR 0062). Every list is one array parameter, so each kind is
 * one SQL text whatever the number of members.
 * - `l` takes the group's writer lock, and `g` locks the group row FOR NO KEY UPDATE only as part of a join with it,
 *   so no lock or write (each assigns the xid) comes before the writer lock (ADR 0018).
 * - `g` also requires the version the caller read. The statement's snapshot predates the writer lock, but every
 *   membership write moves the version under that lock, and a row lock re-checks its condition on the newest row
 *   (READ COMMITTED): a writer that committed meanwhile leaves `g` empty. So the member rows this statement reads
 *   are those under the lock.
 * - `ok` holds when `g` does, the tenant maps no group to roles (a membership change can then move a user's roles,
 *   whose events the locked path makes), and, for an add, every named id is a user or group of the tenant,
 *   key-share locked as resolveMembers locks them, so that a concurrent delete waits for this write or has removed
 *   the id already.
 * - The members, the version and lastModified, and the events are written only from `ok` and from the members that
 *   changed (`ch`; `changed` adds each one's position in the request and its event id). An add of present members
 *   or a remove of absent ones writes nothing, as in the locked path.
 */
function groupMembersStatement(kind: 'add' | 'remove', p: Param<MembersParams>): RawBuilder<unknown> {
  const tenant = sql`${p('tenantId')}::text`;
  const ids = sql`${p('ids')}::text[]`;
  const found =
    kind === 'add'
      ? sql`fu as (select x.id from scim_users x cross join g
          where x.tenant_id = ${tenant} and x.id = any(${ids}) for key share of x),
        fg as (select x.id from scim_groups x cross join g
          where x.tenant_id = ${tenant} and x.id = any(${ids}) for key share of x),
        found as (select id, 'User'::text as type from fu union all select id, 'Group'::text from fg),`
      : sql``;
  const complete = kind === 'add' ? sql`and (select count(*) from found) = cardinality(${ids})` : sql``;
  const change =
    kind === 'add'
      ? sql`insert into scim_group_members (tenant_id, group_id, member_id, member_type)
          select ${tenant}, ${p('groupId')}, f.id, f.type from found f cross join ok
          on conflict (tenant_id, group_id, member_id) do nothing
          returning member_id, member_type`
      : sql`delete from scim_group_members m using ok
          where m.tenant_id = ${tenant} and m.group_id = ${p('groupId')} and m.member_id = any(${ids})
          returning m.member_id, m.member_type`;
  return sql`with l as materialized (
        select pg_advisory_xact_lock(hashtextextended(${p('lockKey')}, 0)) as locked),
      g as (select x.id from scim_groups x cross join l
        where x.tenant_id = ${tenant} and x.id = ${p('groupId')} and x.version = ${p('version')}
        for no key update of x),
      ${found}
      ok as (select 1 as ok from g
        where not exists (select 1 from role_mappings r where r.tenant_id = ${tenant})
        ${complete}),
      ch as (${change}),
      u as (update scim_groups x set version = x.version + 1, last_modified = ${p('lastModified')}
        where x.tenant_id = ${tenant} and x.id = ${p('groupId')} and exists (select 1 from ch)
        returning x.version),
      changed as (select c.member_id, c.member_type, n.event_id, n.position
        from ch c join unnest(${ids}, ${p('eventIds')}::text[]) with ordinality as n(id, event_id, position)
          on n.id = c.member_id),
      ev as (insert into events (id, tenant_id, type, occurred_at, data)
        select c.event_id, ${tenant}, ${p('eventType')}, ${p('occurredAt')},
          replace(case when c.member_type = 'Group' then ${p('groupData')}::text else ${p('userData')}::text end,
            ${p('idMark')}, to_json(c.member_id)::text)
        from changed c
        order by c.position)
    select (select count(*) from ok)::int as ok, (select version from u) as version,
      coalesce((select json_agg(json_build_array(c.member_id, c.member_type) order by c.position) from changed c),
        '[]')::text as changed`;
}
