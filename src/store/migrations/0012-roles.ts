// Roles (ADR 0032): a tenant's role catalogue, direct assignments, group→role mappings and the tenant's default
// role; SCIM tokens gain a default-role override and an expiry-notice mark, admin tokens scopes and an expiry.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const withoutRowid = ctx.dialect === 'sqlite' ? sql`without rowid` : sql``;
  await sql`create table roles (
    tenant_id text not null references tenants (id) on delete cascade,
    key text not null,
    name text not null,
    created_at text not null,
    constraint roles_pk primary key (tenant_id, key)
  ) ${withoutRowid}`.execute(db);

  // A user's direct roles. Deleting the user takes them (cascade); deleting a role in use is refused by the core
  // with the uses listed (409), and the foreign key (no action) backs that up against any other writer.
  await sql`create table user_roles (
    tenant_id text not null,
    user_id text not null,
    role_key text not null,
    created_at text not null,
    constraint user_roles_pk primary key (tenant_id, user_id, role_key),
    constraint user_roles_user_fk foreign key (tenant_id, user_id)
      references scim_users (tenant_id, id) on delete cascade,
    constraint user_roles_role_fk foreign key (tenant_id, role_key) references roles (tenant_id, key)
  ) ${withoutRowid}`.execute(db);
  await sql`create index user_roles_role on user_roles (tenant_id, role_key)`.execute(db);

  // Group→role mappings: a group's deletion over SCIM takes its mappings with it.
  await sql`create table role_mappings (
    tenant_id text not null,
    id text not null,
    group_id text not null,
    role_key text not null,
    created_at text not null,
    constraint role_mappings_pk primary key (tenant_id, id),
    constraint role_mappings_group_fk foreign key (tenant_id, group_id)
      references scim_groups (tenant_id, id) on delete cascade,
    constraint role_mappings_role_fk foreign key (tenant_id, role_key) references roles (tenant_id, key)
  ) ${withoutRowid}`.execute(db);
  await sql`create unique index role_mappings_group_role on role_mappings (tenant_id, group_id, role_key)`.execute(db);
  await sql`create index role_mappings_role on role_mappings (tenant_id, role_key)`.execute(db);

  // The tenant's role settings, one row per tenant that set any (PATCH /iam/v1/settings). A table of its own so
  // other settings (e.g. a domain policy) add their own storage without touching this one.
  await sql`create table tenant_role_settings (
    tenant_id text not null primary key references tenants (id) on delete cascade,
    default_role text,
    constraint tenant_role_settings_role_fk foreign key (tenant_id, default_role) references roles (tenant_id, key)
  )`.execute(db);

  await sql`alter table scim_tokens add column default_role text`.execute(db);
  await sql`alter table scim_tokens add column expiry_notified_at text`.execute(db);
  // Existing admin tokens keep the full access they had.
  await sql`alter table admin_tokens add column scopes text not null default 'admin'`.execute(db);
  await sql`alter table admin_tokens add column expires_at text`.execute(db);
}
