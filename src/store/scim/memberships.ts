// Group memberships as rows: reads with display names, member resolution, and set deltas applied in place.
import { type Kysely, sql } from 'kysely';
import type { GroupRepository, UserRepository } from '../../core/scim/ports.ts';
import type { GroupRef, MemberRef, MemberView } from '../../core/scim/records.ts';
import { scimErrors } from '../../scim/errors.ts';
import { evaluateValueFilter } from '../../scim/filter/evaluate.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database } from '../schema.ts';
import { chunks, parseJson, str } from './rows.ts';

type Memberships = Pick<UserRepository, 'groupsOf'> &
  Pick<GroupRepository, 'members' | 'resolveMembers' | 'applyMemberChanges' | 'countMembers'>;

/** `lockable`: PostgreSQL, where resolving members can take key-share locks (see GroupRepository.resolveMembers). */
export function createMemberships(db: Kysely<Database>, q: FixedQueries, lockable: boolean): Memberships {
  const memberIndex = lockable ? sql`` : sql`indexed by scim_group_members_member`;
  const memberships: Memberships = {
    async groupsOf(tenantId, userIds) {
      const out = new Map<string, GroupRef[]>();
      for (const part of chunks(userIds)) {
        if (part.length === 0) continue;
        // Raw SQL for `indexed by`: without statistics SQLite prefers the covering primary key on tenant_id alone
        // and walks every membership (or every group) of the tenant; the member index makes the cost this user's
        // memberships. PostgreSQL's planner has statistics and picks (tenant_id, member_id) itself.
        const rows = await q.all(
          `groupsOf.${part.length}`,
          (p) => ({
            compile: () =>
              sql<{ member_id: string; id: string; display_name: string }>`
                select m.member_id, g.id, g.display_name from scim_group_members m ${memberIndex}
                join scim_groups g on g.tenant_id = m.tenant_id and g.id = m.group_id
                where m.tenant_id = ${p('tenantId')} and m.member_id in (${sql.join(p.each('userIds'))})
                order by g.id`.compile(db),
          }),
          { tenantId, userIds: part },
        );
        for (const row of rows) {
          const list = out.get(row.member_id) ?? [];
          list.push({ value: row.id, display: row.display_name });
          out.set(row.member_id, list);
        }
      }
      return out;
    },
    async members(tenantId, groupId) {
      const rows = await db
        .selectFrom('scim_group_members as m')
        .leftJoin('scim_users as u', (j) =>
          j.onRef('u.tenant_id', '=', 'm.tenant_id').onRef('u.id', '=', 'm.member_id'),
        )
        .leftJoin('scim_groups as g', (j) =>
          j.onRef('g.tenant_id', '=', 'm.tenant_id').onRef('g.id', '=', 'm.member_id'),
        )
        .select(['m.member_id', 'm.member_type', 'u.data as user_data', 'u.user_name', 'g.display_name'])
        .where('m.tenant_id', '=', tenantId)
        .where('m.group_id', '=', groupId)
        .orderBy('m.member_id')
        .execute();
      return rows.map((row): MemberView => {
        const userDisplay = row.user_data ? str(parseJson(row.user_data).displayName) : null;
        return {
          value: row.member_id,
          type: row.member_type === 'Group' ? 'Group' : 'User',
          display: (row.member_type === 'Group' ? row.display_name : (userDisplay ?? row.user_name)) ?? undefined,
        };
      });
    },
    async resolveMembers(tenantId, ids, options) {
      const out = new Map<string, MemberRef['type']>();
      const share = options?.lock === true && lockable;
      for (const part of chunks([...new Set(ids)])) {
        if (part.length === 0) continue;
        const values = [tenantId, ...part];
        for (const [table, type] of [
          ['scim_users', 'User'],
          ['scim_groups', 'Group'],
        ] as const) {
          const found = await q.list<{ id: string }>(
            `resolveMembers.${table}.${share ? 'share' : 'read'}.${part.length}`,
            () => {
              const query = db.selectFrom(table).select('id').where('tenant_id', '=', tenantId).where('id', 'in', part);
              return share ? query.forKeyShare() : query;
            },
            values,
          );
          for (const row of found) out.set(row.id, type);
        }
      }
      return out;
    },
    async applyMemberChanges(tenantId, groupId, changes, known) {
      // Net effect per member id: the state before the first change that touched it, and the state now.
      const touched = new Map<string, { before: boolean; now: boolean; type: MemberRef['type'] }>();
      const note = (id: string, type: MemberRef['type'], before: boolean, now: boolean) => {
        const seen = touched.get(id);
        if (seen) {
          seen.now = now;
          seen.type = type;
        } else touched.set(id, { before, now, type });
      };
      const asType = (t: string): MemberRef['type'] => (t === 'Group' ? 'Group' : 'User');
      const deleteMembers = async (ids: readonly string[]) => {
        for (const part of chunks(ids)) {
          const gone = await q.list<{ member_id: string; member_type: string }>(
            `removeMembers.${part.length}`,
            () =>
              db
                .deleteFrom('scim_group_members')
                .where('tenant_id', '=', tenantId)
                .where('group_id', '=', groupId)
                .where('member_id', 'in', part)
                .returning(['member_id', 'member_type']),
            [tenantId, groupId, ...part],
          );
          for (const row of gone) note(row.member_id, asType(row.member_type), true, false);
        }
      };
      for (const change of changes) {
        switch (change.kind) {
          case 'removeAll': {
            const gone = await db
              .deleteFrom('scim_group_members')
              .where('tenant_id', '=', tenantId)
              .where('group_id', '=', groupId)
              .returning(['member_id', 'member_type'])
              .execute();
            for (const row of gone) note(row.member_id, asType(row.member_type), true, false);
            break;
          }
          case 'remove':
            await deleteMembers(change.values);
            break;
          case 'removeWhere': {
            // Rare shape (IdPs remove by `members[value eq "…"]`, which arrives as 'remove'): evaluated against
            // the member rows with the reference evaluator, so any member filter works; cost is O(members).
            const membersDef = scimRegistry.resolve('Group', { attribute: 'members' })?.attribute;
            if (!membersDef) throw scimErrors.invalidPath('members is not an attribute of Group');
            const doomed = (await memberships.members(tenantId, groupId))
              .filter((m) =>
                evaluateValueFilter(change.filter, { value: m.value, type: m.type, display: m.display }, membersDef),
              )
              .map((m) => m.value);
            await deleteMembers(doomed);
            break;
          }
          case 'add': {
            const ids = [...new Set(change.members.map((m) => m.value))];
            // The caller resolved (and locked) these ids in this transaction already: their kinds cannot change.
            const kinds =
              known !== undefined && ids.every((id) => known.has(id))
                ? known
                : await memberships.resolveMembers(tenantId, ids);
            for (const part of chunks(ids, 300)) {
              const values: string[] = [];
              for (const id of part) values.push(tenantId, groupId, id, kinds.get(id) ?? 'User');
              // Set semantics: re-adding a present member keeps a single membership (and returns no row).
              const added = await q.list<{ member_id: string; member_type: string }>(
                `addMembers.${part.length}`,
                () =>
                  db
                    .insertInto('scim_group_members')
                    .values(
                      part.map((id) => ({
                        tenant_id: tenantId,
                        group_id: groupId,
                        member_id: id,
                        member_type: kinds.get(id) ?? 'User',
                      })),
                    )
                    .onConflict((oc) => oc.columns(['tenant_id', 'group_id', 'member_id']).doNothing())
                    .returning(['member_id', 'member_type']),
                values,
              );
              for (const row of added) note(row.member_id, asType(row.member_type), false, true);
            }
            break;
          }
        }
      }
      const added: MemberRef[] = [];
      const removed: MemberRef[] = [];
      for (const [value, t] of touched) {
        if (!t.before && t.now) added.push({ value, type: t.type });
        else if (t.before && !t.now) removed.push({ value, type: t.type });
      }
      return { added, removed };
    },
    async countMembers(tenantId, groupId) {
      const row = await db
        .selectFrom('scim_group_members')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('group_id', '=', groupId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
  return memberships;
}
