// Setup links, the setup checklist's one stored fact (the redirect URI confirmation), test sign-ins, and the two
// indexes that let the checklist answer "since when" without walking a tenant's data (ADR 0029).
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  // A link's secret is kept as a keyed digest only (like tokens); used_at/revoked_at make it single-use.
  await sql`create table setup_links (
    id text primary key,
    tenant_id text not null references tenants (id) on delete cascade,
    digest text not null,
    key_id text not null,
    created_by text not null,
    created_at text not null,
    expires_at text not null,
    used_at text,
    revoked_at text
  )`.execute(db);
  await sql`create index setup_links_tenant on setup_links (tenant_id, created_at)`.execute(db);

  await sql`create table tenant_setup (
    tenant_id text primary key references tenants (id) on delete cascade,
    redirect_uri_confirmed_at text,
    redirect_uri_confirmed_by text
  )`.execute(db);

  await sql`create table sso_test_signins (
    tenant_id text not null references tenants (id) on delete cascade,
    id text not null,
    provider_id text not null,
    scheme text not null,
    start_digest text not null,
    start_key_id text not null,
    browser_digest text,
    browser_key_id text,
    status text not null,
    created_by text not null,
    created_at text not null,
    expires_at text not null,
    started_at text,
    finished_at text,
    outcome text,
    constraint sso_test_signins_pk primary key (tenant_id, id)
  )`.execute(db);

  // "First sign-in seen": bindings are written once per identity, at its first sign-in (a cold path).
  await sql`create index upstream_identities_created on upstream_identities (tenant_id, created_at)`.execute(db);
  // "First user provisioned": only successful creates are in this partial index, and the provisioning log is
  // written in batches off the request path, so the SCIM write path pays nothing for it.
  await sql`create index scim_log_user_creates on scim_log (tenant_id, id)
    where operation = 'create' and resource_type = 'User' and status = 201`.execute(db);
}
