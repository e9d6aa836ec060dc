// The dispatcher's place in the operator feed (`webhook_dispatch`) and the feed's horizon: the dispatcher moves it,
// and making or re-enabling an endpoint reads it to set where the endpoint starts (ADR 0020).
import { type Kysely, sql } from 'kysely';
import { comparePositions } from '../core/events/position.ts';
import type { FeedPosition } from '../core/events/records.ts';
import type { Database } from './schema.ts';
import type { Dialect } from './webhook-rows.ts';

export interface DispatchCursor {
  horizon(trx: Kysely<Database>): Promise<FeedPosition>;
  /** The cursor, locked for the transaction (PostgreSQL); undefined when `skip` and another process holds it. */
  readCursor(trx: Kysely<Database>, skip: boolean): Promise<FeedPosition | undefined>;
  moveCursor(trx: Kysely<Database>, from: FeedPosition, to: FeedPosition): Promise<void>;
  startFromNow(trx: Kysely<Database>): Promise<FeedPosition>;
  anyEnabled(handle: Kysely<Database>): Promise<boolean>;
}

export function dispatchCursor(dialect: Dialect): DispatchCursor {
  const pg = dialect === 'postgres';
  const lockCursor = (skip: boolean) => (pg ? (skip ? sql`for update skip locked` : sql`for update`) : sql``);

  /** The feed's horizon: every event at or before it is committed (ADR 0018). */
  const horizon = async (trx: Kysely<Database>): Promise<FeedPosition> => {
    if (pg) {
      const row = (await sql<{ h: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as h`.execute(trx))
        .rows[0]!;
      return { xid: row.h, seq: '0' };
    }
    const row = (await sql<{ h: number }>`select coalesce(max(seq), 0) as h from events`.execute(trx)).rows[0]!;
    return { xid: '0', seq: String(row.h) };
  };

  const readCursor = async (trx: Kysely<Database>, skip: boolean): Promise<FeedPosition | undefined> => {
    const row = (
      await sql<{ xid: string; seq: string }>`select xid, seq from webhook_dispatch where id = 1 ${lockCursor(
        skip,
      )}`.execute(trx)
    ).rows[0];
    return row && { xid: String(row.xid), seq: String(row.seq) };
  };

  const moveCursor = async (trx: Kysely<Database>, from: FeedPosition, to: FeedPosition) => {
    if (comparePositions(to, from) <= 0) return;
    await sql`update webhook_dispatch set xid = ${to.xid}, seq = ${to.seq} where id = 1`.execute(trx);
  };

  /**
   * Where an endpoint made (or re-enabled) now starts: the later of the dispatcher's cursor and the feed's horizon.
   * Taking the cursor waits for a dispatcher round in progress, and none can start until the caller commits, so
   * every event after the start is fanned out by a round that sees the endpoint. With no enabled endpoint the
   * dispatcher does not move its cursor (rounds cost nothing then): it is moved here.
   */
  const startFromNow = async (trx: Kysely<Database>): Promise<FeedPosition> => {
    const cursor = (await readCursor(trx, false))!;
    const h = await horizon(trx);
    const start = comparePositions(h, cursor) > 0 ? h : cursor;
    if (!(await anyEnabled(trx))) await moveCursor(trx, cursor, start);
    return start;
  };

  const anyEnabled = async (handle: Kysely<Database>) =>
    (await sql`select 1 as x from webhooks where enabled = 1 limit 1`.execute(handle)).rows.length > 0;

  return { horizon, readCursor, moveCursor, startFromNow, anyEnabled };
}
