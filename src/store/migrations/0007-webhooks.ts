// Webhooks (issue 11, item 3; ADR 0020): the endpoints, one delivery row per (event × endpoint) in the endpoint's
// queue order, every attempt, and the dispatcher's place in the operator feed. Times are ISO 8601 text (one format,
// so text order is time order); the secrets are sealed with the keyring (context `webhook-secret:<id>`).
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const pg = ctx.dialect === 'postgres';
  await sql`create table webhooks (
    id text primary key,
    tenant_id text references tenants (id) on delete cascade,
    url text not null,
    description text,
    event_types text,
    enabled integer not null,
    secret_sealed text not null,
    previous_secret_sealed text,
    previous_secret_until text,
    start_xid text not null,
    start_seq text not null,
    created_at text not null,
    updated_at text not null,
    next_attempt_at text,
    failing_since text,
    lease_owner text,
    lease_until text,
    disabled_at text,
    disabled_reason text
  )`.execute(db);
  // A tenant's (or, with tenant_id null, the operator's) endpoints.
  await sql`create index webhooks_tenant on webhooks (tenant_id, id)`.execute(db);
  await sql`create table webhook_deliveries (
    seq ${pg ? sql`bigserial primary key` : sql`integer primary key autoincrement`},
    id text not null unique,
    webhook_id text not null references webhooks (id) on delete cascade,
    tenant_id text not null,
    event_id text not null,
    event_type text not null,
    body text not null,
    status text not null,
    attempts integer not null,
    created_at text not null,
    first_attempt_at text,
    next_attempt_at text,
    last_status integer,
    last_latency_ms integer,
    last_excerpt text,
    last_error text,
    delivered_at text
  )`.execute(db);
  // The deliveries API (newest first per endpoint) and the prune.
  await sql`create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, seq)`.execute(db);
  // The worker's queue: only what is still to send, so it stays small however many deliveries succeeded.
  await sql`create index webhook_deliveries_queue on webhook_deliveries (webhook_id, seq)
    where status <> 'succeeded'`.execute(db);
  await sql`create table webhook_attempts (
    delivery_id text not null references webhook_deliveries (id) on delete cascade,
    n integer not null,
    at text not null,
    status integer,
    latency_ms integer not null,
    excerpt text,
    error text,
    primary key (delivery_id, n)
  )`.execute(db);
  // The dispatcher's cursor in the operator feed: events after it have not been fanned out to deliveries yet.
  await sql`create table webhook_dispatch (
    id integer primary key,
    xid text not null,
    seq text not null
  )`.execute(db);
  await sql`insert into webhook_dispatch (id, xid, seq) values (1, '0', '0')`.execute(db);
}
