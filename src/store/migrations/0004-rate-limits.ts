// Rate-limit buckets shared by every Roster process on one PostgreSQL (ADR 0012). SQLite serves one process,
// which keeps its buckets in memory, so the table exists on PostgreSQL only.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  if (ctx.dialect !== 'postgres') return;
  // UNLOGGED: a bucket is worth nothing after a crash (an empty table means full buckets), so its updates skip
  // the WAL. fillfactor leaves room on each page for HOT updates of the same row.
  await sql`
    create unlogged table rate_limit_buckets (
      scope text not null,
      key text not null,
      tokens double precision not null,
      at_ms bigint not null,
      granted integer not null,
      primary key (scope, key)
    ) with (fillfactor = 50)
  `.execute(db);
}
