// SAML 2.0 service provider (issue 16 item 2, ADR 0038): the replay cache of assertion ids. SAML providers are rows
// of sso_providers (kind 'saml'), so schemes share one namespace and identity bindings one foreign key. A replayed
// assertion is refused by the primary key, so two processes on one PostgreSQL cannot both accept it; rows are purged
// once the assertion could no longer be accepted anyway.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await sql`create table saml_assertion_ids (
    provider_id text not null,
    assertion_id text not null,
    tenant_id text not null references tenants (id) on delete cascade,
    expires_at bigint not null,
    primary key (provider_id, assertion_id)
  )`.execute(db);
  await sql`create index saml_assertion_ids_expiry on saml_assertion_ids (expires_at)`.execute(db);
}
