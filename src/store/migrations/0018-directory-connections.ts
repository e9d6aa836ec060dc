// Directory connections (issue 16 item 3, ADR 0043): SCIM-only connections that SCIM tokens can name instead of an
// SSO provider. A token now names a scheme of either table, so its foreign key to sso_providers goes; the core keeps
// the link under the tenant's scheme lock (core/directories/schemes.ts), and the token still goes with its tenant.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await sql`create table directory_connections (
    id text not null unique,
    tenant_id text not null references tenants (id) on delete cascade,
    scheme text not null,
    display_name text not null,
    type text not null,
    created_at text not null,
    updated_at text not null,
    primary key (tenant_id, scheme)
  )`.execute(db);

  if (ctx.dialect === 'postgres') {
    await sql`alter table scim_tokens drop constraint scim_tokens_provider_fk`.execute(db);
    await sql`alter table scim_tokens add constraint scim_tokens_tenant_fk foreign key (tenant_id)
      references tenants (id) on delete cascade`.execute(db);
    return;
  }
  // SQLite cannot drop a constraint: the table is rebuilt with the same columns and index (SQLite docs, "ALTER TABLE").
  await sql`create table scim_tokens_next (
    id text primary key,
    tenant_id text not null references tenants (id) on delete cascade,
    provider text not null,
    provider_display_name text not null,
    digest text not null,
    key_id text not null,
    created_at text not null,
    expires_at text,
    last_used_at text,
    default_role text,
    expiry_notified_at text
  )`.execute(db);
  await sql`insert into scim_tokens_next (id, tenant_id, provider, provider_display_name, digest, key_id, created_at,
    expires_at, last_used_at, default_role, expiry_notified_at)
    select id, tenant_id, provider, provider_display_name, digest, key_id, created_at, expires_at, last_used_at,
    default_role, expiry_notified_at from scim_tokens`.execute(db);
  await sql`drop table scim_tokens`.execute(db);
  await sql`alter table scim_tokens_next rename to scim_tokens`.execute(db);
  await sql`create index scim_tokens_tenant on scim_tokens (tenant_id, provider)`.execute(db);
}
