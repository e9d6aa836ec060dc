// Vendor-wide apps (issue 13 item 6, ADR 0044): OIDC clients the operator registers once, known to every tenant's
// issuer. They belong to no tenant, so the operator's changes to them go to an operator audit trail of their own
// (audit_events rows must name a tenant).
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const json = ctx.dialect === 'postgres' ? sql`jsonb` : sql`text`;
  await sql`create table operator_oidc_clients (
    client_id text primary key,
    metadata ${json} not null,
    secret_sealed text,
    created_at text not null,
    updated_at text not null
  )`.execute(db);
  await sql`create table operator_audit_events (
    id text primary key,
    at text not null,
    actor text not null,
    action text not null,
    target text,
    data text not null
  )`.execute(db);
}
