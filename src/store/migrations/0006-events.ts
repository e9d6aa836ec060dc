// The event outbox (issue 11): one row per directory change, written in the transaction of the change, and the
// feed's prune mark. ADR 0018 explains the position: SQLite numbers rows in commit order (one writer, rowid with
// AUTOINCREMENT so a number is never reused after a prune); PostgreSQL keeps each row's transaction id (xid8) and
// the feed orders by (xid, seq) and shows only transactions older than every one still running.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  if (ctx.dialect === 'sqlite') {
    await sql`create table events (
      seq integer primary key autoincrement,
      id text not null,
      tenant_id text not null,
      type text not null,
      occurred_at text not null,
      data text not null
    )`.execute(db);
    await sql`create index events_tenant on events (tenant_id, seq)`.execute(db);
  } else {
    await sql`create table events (
      seq bigserial not null,
      xid xid8 not null default pg_current_xact_id(),
      id text not null,
      tenant_id text not null,
      type text not null,
      occurred_at text not null,
      data text not null,
      primary key (xid, seq)
    )`.execute(db);
    await sql`create index events_tenant on events (tenant_id, xid, seq)`.execute(db);
  }
  // The highest position a prune removed: a cursor before it may have missed events (410).
  await sql`create table event_prune_mark (
    id integer primary key,
    xid text not null,
    seq text not null
  )`.execute(db);
  await sql`insert into event_prune_mark (id, xid, seq) values (1, '0', '0')`.execute(db);
}
