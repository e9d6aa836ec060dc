// Roles on Kysely (ADR 0032): catalogue, direct assignments, group mappings, the tenant default, and effective
// roles through recursive queries that read the same SQL on SQLite and PostgreSQL.
import { type Kysely, sql } from 'kysely';
import { DomainError } from '../core/errors.ts';
import type { RoleMappingRecord, RoleRepository } from '../core/roles/ports.ts';
import type { Database } from './schema.ts';
import { chunks } from './scim/rows.ts';

interface RoleDialect {
  readonly dialect: 'sqlite' | 'postgres';
  isUniqueViolation(error: unknown): boolean;
}

const toMapping = (row: Database['role_mappings']): RoleMappingRecord => ({
  tenantId: row.tenant_id,
  id: row.id,
  groupId: row.group_id,
  role: row.role_key,
  createdAt: row.created_at,
});

export function createRoleRepository(db: Kysely<Database>, d: RoleDialect): RoleRepository {
  // SQLite has no statistics and would walk the tenant's memberships by primary key; the member index makes each
  // step of the walk cost the memberships of one id (the same hint groupsOf uses). PostgreSQL's planner picks it.
  const byMember = d.dialect === 'sqlite' ? sql`indexed by scim_group_members_member` : sql``;
  return {
    async insert(role) {
      try {
        await db
          .insertInto('roles')
          .values({ tenant_id: role.tenantId, key: role.key, name: role.name, created_at: role.createdAt })
          .execute();
      } catch (error) {
        if (d.isUniqueViolation(error)) {
          throw new DomainError('role.key_taken', `a role with key "${role.key}" already exists`, [
            { field: 'key', message: 'already in use in this tenant' },
          ]);
        }
        throw error;
      }
    },
    async get(tenantId, key) {
      const row = await db
        .selectFrom('roles')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('key', '=', key)
        .executeTakeFirst();
      return row && { tenantId: row.tenant_id, key: row.key, name: row.name, createdAt: row.created_at };
    },
    async list(tenantId) {
      const rows = await db.selectFrom('roles').selectAll().where('tenant_id', '=', tenantId).orderBy('key').execute();
      return rows.map((row) => ({ tenantId: row.tenant_id, key: row.key, name: row.name, createdAt: row.created_at }));
    },
    async delete(tenantId, key) {
      const r = await db
        .deleteFrom('roles')
        .where('tenant_id', '=', tenantId)
        .where('key', '=', key)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async uses(tenantId, key) {
      const users = await db
        .selectFrom('user_roles')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('role_key', '=', key)
        .executeTakeFirstOrThrow();
      const mappings = await db
        .selectFrom('role_mappings')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('role_key', '=', key)
        .orderBy('id')
        .execute();
      const tokens = await db
        .selectFrom('scim_tokens')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('default_role', '=', key)
        .orderBy('id')
        .execute();
      return {
        users: Number(users.n),
        mappings: mappings.map((m) => m.id),
        tenantDefault: (await this.defaultRole(tenantId)) === key,
        scimTokens: tokens.map((t) => t.id),
      };
    },
    async insertMapping(m) {
      const added = await db
        .insertInto('role_mappings')
        .values({ tenant_id: m.tenantId, id: m.id, group_id: m.groupId, role_key: m.role, created_at: m.createdAt })
        .onConflict((oc) => oc.columns(['tenant_id', 'group_id', 'role_key']).doNothing())
        .returning('id')
        .execute();
      return added.length > 0;
    },
    async getMapping(tenantId, id) {
      const row = await db
        .selectFrom('role_mappings')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toMapping(row);
    },
    async listMappings(tenantId) {
      const rows = await db
        .selectFrom('role_mappings')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('id')
        .execute();
      return rows.map(toMapping);
    },
    async deleteMapping(tenantId, id) {
      const r = await db
        .deleteFrom('role_mappings')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async setDirectRoles(tenantId, userId, roles, at) {
      await db.deleteFrom('user_roles').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
      if (roles.length === 0) return;
      await db
        .insertInto('user_roles')
        .values(roles.map((role) => ({ tenant_id: tenantId, user_id: userId, role_key: role, created_at: at })))
        .execute();
    },
    async effectiveRoles(tenantId, userIds) {
      const out = new Map<string, string[]>();
      for (const part of chunks([...new Set(userIds)], 300)) {
        if (part.length === 0) continue;
        const ids = sql.join(part);
        // `union` (not `union all`) in the recursive step: a (user, group) pair is visited once, so cycles end.
        const rows = await sql<{ user_id: string; role_key: string }>`
          with recursive up (user_id, group_id) as (
            select m.member_id, m.group_id from scim_group_members m ${byMember}
            where m.tenant_id = ${tenantId} and m.member_id in (${ids})
            union
            select up.user_id, m.group_id from up
            join scim_group_members m ${byMember} on m.tenant_id = ${tenantId} and m.member_id = up.group_id
          )
          select user_id, role_key from user_roles where tenant_id = ${tenantId} and user_id in (${ids})
          union
          select up.user_id, r.role_key from up
          join role_mappings r on r.tenant_id = ${tenantId} and r.group_id = up.group_id`.execute(db);
        for (const row of rows.rows) out.set(row.user_id, [...(out.get(row.user_id) ?? []), row.role_key]);
      }
      for (const roles of out.values()) roles.sort();
      return out;
    },
    async usersUnder(tenantId, groupId) {
      const rows = await sql<{ member_id: string }>`
        with recursive down (group_id) as (
          select cast(${groupId} as text)
          union
          select m.member_id from down
          join scim_group_members m on m.tenant_id = ${tenantId} and m.group_id = down.group_id
          where m.member_type = 'Group'
        )
        select distinct m.member_id from down
        join scim_group_members m on m.tenant_id = ${tenantId} and m.group_id = down.group_id
        where m.member_type = 'User'`.execute(db);
      return rows.rows.map((r) => r.member_id);
    },
    async groupCarriesRoles(tenantId, groupId) {
      const rows = await sql<{ one: number }>`
        with recursive up (group_id) as (
          select cast(${groupId} as text)
          union
          select m.group_id from up
          join scim_group_members m ${byMember} on m.tenant_id = ${tenantId} and m.member_id = up.group_id
        )
        select 1 as one from up join role_mappings r on r.tenant_id = ${tenantId} and r.group_id = up.group_id
        limit 1`.execute(db);
      return rows.rows.length > 0;
    },
    async assignDefault(tenantId, userId, role, at) {
      const rows =
        role !== null
          ? await db
              .insertInto('user_roles')
              .values({ tenant_id: tenantId, user_id: userId, role_key: role, created_at: at })
              .returning('role_key')
              .execute()
          : await db
              .insertInto('user_roles')
              .columns(['tenant_id', 'user_id', 'role_key', 'created_at'])
              .expression((eb) =>
                eb
                  .selectFrom('tenant_role_settings')
                  .select([
                    eb.val(tenantId).as('tenant_id'),
                    eb.val(userId).as('user_id'),
                    'default_role as role_key',
                    eb.val(at).as('created_at'),
                  ])
                  .where('tenant_id', '=', tenantId)
                  .where('default_role', 'is not', null),
              )
              .returning('role_key')
              .execute();
      return rows.map((r) => r.role_key);
    },
    async defaultRole(tenantId) {
      const row = await db
        .selectFrom('tenant_role_settings')
        .select('default_role')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      return row?.default_role ?? null;
    },
    async setDefaultRole(tenantId, role) {
      await db
        .insertInto('tenant_role_settings')
        .values({ tenant_id: tenantId, default_role: role })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ default_role: role }))
        .execute();
    },
  };
}
