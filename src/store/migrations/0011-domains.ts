// Verified domains and tenant settings (issue 13, items 1–2; ADR 0030). A domain row is a tenant's claim: pending
// until its DNS TXT challenge is found, then verified and re-checked daily. At most one row per domain is verified
// across all tenants: a partial unique index, so two tenants verifying at once cannot both win on either store.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await sql`create table domains (
    id text primary key,
    tenant_id text not null references tenants (id) on delete cascade,
    domain text not null,
    status text not null,
    challenge text not null,
    reason text,
    failures integer not null,
    created_at text not null,
    verified_at text,
    checked_at text,
    next_check_at text,
    lease_until text,
    constraint domains_tenant_domain unique (tenant_id, domain)
  )`.execute(db);
  await sql`create unique index domains_verified_once on domains (domain) where status = 'verified'`.execute(db);
  // The daily re-check finds what is due without walking every domain.
  await sql`create index domains_due on domains (next_check_at) where status = 'verified'`.execute(db);
  await sql`create table tenant_settings (
    tenant_id text primary key references tenants (id) on delete cascade,
    domain_policy text not null,
    updated_at text not null
  )`.execute(db);
}
