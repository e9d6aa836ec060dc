// SCIM resources: users, groups, memberships as rows, and the provisioning log.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

/**
 * Each resource keeps two JSON documents: `data`, the attributes exactly as stored and returned, and `search`,
 * the same document with every caseExact=false string case-folded (and dateTimes normalised) in JavaScript. Filters
 * compare against `search` with a folded literal, so SQLite and PostgreSQL give identical answers without relying
 * on either database's locale-dependent lower().
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const json = ctx.dialect === 'postgres' ? sql`jsonb` : sql`text`;

  await db.schema
    .createTable('scim_users')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('user_name_key', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('data', json, (c) => c.notNull())
    .addColumn('search', json, (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_modified', 'text', (c) => c.notNull())
    .addColumn('created_by_token', 'text')
    .addColumn('provider', 'text')
    .addPrimaryKeyConstraint('scim_users_pk', ['tenant_id', 'id'])
    .execute();
  // RFC 7643 §4.1.1: userName is unique per service provider, case-insensitively.
  await db.schema
    .createIndex('scim_users_user_name_key')
    .unique()
    .on('scim_users')
    .columns(['tenant_id', 'user_name_key'])
    .execute();
  await db.schema
    .createIndex('scim_users_external_id')
    .on('scim_users')
    .columns(['tenant_id', 'external_id'])
    .execute();
  await db.schema
    .createIndex('scim_users_last_modified')
    .on('scim_users')
    .columns(['tenant_id', 'last_modified', 'id'])
    .execute();

  await db.schema
    .createTable('scim_groups')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('display_name_key', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('data', json, (c) => c.notNull())
    .addColumn('search', json, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_modified', 'text', (c) => c.notNull())
    .addColumn('created_by_token', 'text')
    .addColumn('provider', 'text')
    .addPrimaryKeyConstraint('scim_groups_pk', ['tenant_id', 'id'])
    .execute();
  // Entra ID expects group displayName to be unique; compared case-insensitively like userName.
  await db.schema
    .createIndex('scim_groups_display_name_key')
    .unique()
    .on('scim_groups')
    .columns(['tenant_id', 'display_name_key'])
    .execute();
  await db.schema
    .createIndex('scim_groups_external_id')
    .on('scim_groups')
    .columns(['tenant_id', 'external_id'])
    .execute();

  // Members are rows with set semantics: adding a present member is a no-op, never a duplicate.
  await db.schema
    .createTable('scim_group_members')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('member_type', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scim_group_members_pk', ['tenant_id', 'group_id', 'member_id'])
    .addForeignKeyConstraint(
      'scim_group_members_group_fk',
      ['tenant_id', 'group_id'],
      'scim_groups',
      ['tenant_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('scim_group_members_member')
    .on('scim_group_members')
    .columns(['tenant_id', 'member_id'])
    .execute();

  await db.schema
    .createTable('scim_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('token_id', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text')
    .addColumn('resource_id', 'text')
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('scim_type', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scim_log_tenant').on('scim_log').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('scim_log_resource').on('scim_log').columns(['tenant_id', 'resource_id']).execute();
}
