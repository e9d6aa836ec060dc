// Branding (issue 12 item 5, ADR 0035): the operator's one row and each tenant's override. A null column inherits;
// a tenant's row goes with the tenant. The operator's row records who changed it (operators have no audit trail).
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await sql`create table operator_branding (
    id text primary key,
    product_name text,
    logo_url text,
    accent_color text,
    updated_by text not null,
    updated_at text not null
  )`.execute(db);
  await sql`create table tenant_branding (
    tenant_id text primary key references tenants (id) on delete cascade,
    product_name text,
    logo_url text,
    accent_color text,
    updated_by text not null,
    updated_at text not null
  )`.execute(db);
}
