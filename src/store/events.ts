// The event outbox and its feed on both dialects (ADR 0018). All positions travel as decimal text.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { EventFeedStore, EventRepository } from '../core/events/ports.ts';
import { comparePositions } from '../core/events/position.ts';
import type { DirectoryEvent, EventType, FeedPosition, FeedQuery } from '../core/events/records.ts';
import type { FixedQueries } from './fixed-queries.ts';
import type { Database } from './schema.ts';

type Dialect = 'sqlite' | 'postgres';

interface FeedRow {
  horizon: string | number | null;
  xid: string | number | null;
  seq: string | number | null;
  id: string | null;
  tenant_id: string | null;
  type: string | null;
  occurred_at: string | null;
  data: string | null;
}

const ROWS_PER_INSERT = 200;

export function createEventRepository(db: Kysely<Database>, q?: FixedQueries): EventRepository {
  return {
    async append(events) {
      if (events.length === 1 && q !== undefined) {
        // The common case (one event per write) as a fixed query: built and compiled once.
        const e = events[0]!;
        const row = {
          id: e.id,
          tenant_id: e.tenantId,
          type: e.type,
          occurred_at: e.occurredAt,
          data: JSON.stringify(e.data),
        };
        await q.write('events.append', (p) => db.insertInto('events').values(p.fields(row)), row);
        return;
      }
      for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
        const part = events.slice(i, i + ROWS_PER_INSERT);
        const values: string[] = [];
        for (const e of part) values.push(e.id, e.tenantId, e.type, e.occurredAt, JSON.stringify(e.data));
        // Rows in array order: on both dialects the position (rowid, or xid then seq) follows it.
        const insert = () => {
          const rows = [];
          for (let v = 0; v < values.length; v += 5) rows.push(sql`(${sql.join(values.slice(v, v + 5))})`);
          return sql`insert into events (id, tenant_id, type, occurred_at, data) values ${sql.join(rows)}`.compile(db);
        };
        if (q === undefined) await db.executeQuery(insert());
        else await q.list(`events.append.${part.length}`, () => ({ compile: insert }), values);
      }
    },
  };
}

function filters(query: FeedQuery): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = [];
  if (query.tenantId !== undefined) out.push(sql`and tenant_id = ${query.tenantId}`);
  if (query.types !== undefined && query.types.length > 0) {
    out.push(sql`and type in (${sql.join(query.types.map((t) => sql`${t}`))})`);
  }
  return out;
}

function toEvent(row: FeedRow): DirectoryEvent {
  return {
    id: row.id!,
    type: row.type as EventType,
    tenantId: row.tenant_id!,
    occurredAt: row.occurred_at!,
    data: JSON.parse(row.data!) as Record<string, unknown>,
  };
}

/**
 * The feed's horizon now, in its own statement: the position the feed hands out as nextCursor when a reader is
 * caught up. Every transaction that commits an event after this read has a position past it (ADR 0018, 0021).
 */
export async function readFeedHorizon(db: Kysely<Database>, dialect: Dialect): Promise<FeedPosition> {
  if (dialect === 'sqlite') {
    const row = (await sql<{ h: number | string }>`select coalesce(max(seq), 0) as h from events`.execute(db)).rows[0];
    return { xid: '0', seq: String(row?.h ?? 0) };
  }
  const row = (await sql<{ h: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as h`.execute(db)).rows[0];
  return { xid: String(row?.h ?? 0), seq: '0' };
}

export function createEventFeedStore(db: Kysely<Database>, dialect: Dialect): EventFeedStore {
  // One statement per page, so the horizon and the rows come from one snapshot.
  const readRows = async (query: FeedQuery): Promise<FeedRow[]> => {
    const after = query.after ?? { xid: '0', seq: '0' };
    const where = sql.join(filters(query), sql` `);
    const limit = query.limit + 1;
    if (dialect === 'sqlite') {
      // One writer: row numbers are given in commit order, and every committed row is visible here.
      return (
        await sql<FeedRow>`
          select h.horizon, 0 as xid, e.seq, e.id, e.tenant_id, e.type, e.occurred_at, e.data
          from (select coalesce((select max(seq) from events), 0) as horizon) h
          left join (
            select * from events where seq > ${Number(after.seq)} ${where} order by seq limit ${limit}
          ) e on 1 = 1
          order by e.seq`.execute(db)
      ).rows;
    }
    // Only transactions older than every one still running: none of them can commit a row behind the reader.
    return (
      await sql<FeedRow>`
        select h.horizon::text as horizon, e.xid::text as xid, e.seq::text as seq, e.id, e.tenant_id, e.type,
               e.occurred_at, e.data
        from (select pg_snapshot_xmin(pg_current_snapshot()) as horizon) h
        left join lateral (
          select * from events
          where xid < h.horizon and (xid, seq) > (${after.xid}::xid8, ${after.seq}::bigint) ${where}
          order by xid, seq limit ${limit}
        ) e on true
        order by e.xid, e.seq`.execute(db)
    ).rows;
  };

  return {
    async read(query) {
      const rows = await readRows(query);
      const horizonValue = String(rows[0]?.horizon ?? 0);
      const horizon: FeedPosition =
        dialect === 'sqlite' ? { xid: '0', seq: horizonValue } : { xid: horizonValue, seq: '0' };
      const events = rows
        .filter((r) => r.id !== null)
        .map((r) => ({ position: { xid: String(r.xid), seq: String(r.seq) }, event: toEvent(r), dataJson: r.data! }));
      return { events, horizon };
    },
    async pruneMark() {
      const row = (
        await sql<{ xid: string; seq: string }>`select xid, seq from event_prune_mark where id = 1`.execute(db)
      ).rows[0];
      return row && row.seq !== '0' ? { xid: row.xid, seq: row.seq } : undefined;
    },
    async pruneBefore(at, limit) {
      // Oldest first, in feed order, up to the first event still retained: no index on time is needed (positions
      // follow time), and the prune mark is simply the last position removed.
      const batch = (
        dialect === 'sqlite'
          ? await sql<{ xid: string; seq: string | number; occurred_at: string }>`
              select '0' as xid, seq, occurred_at from events order by seq limit ${limit}`.execute(db)
          : await sql<{ xid: string; seq: string; occurred_at: string }>`
              select e.xid::text as xid, e.seq::text as seq, e.occurred_at from events e
              where e.xid < pg_snapshot_xmin(pg_current_snapshot())
              order by e.xid, e.seq limit ${limit}`.execute(db)
      ).rows;
      let old = 0;
      while (old < batch.length && batch[old]!.occurred_at < at) old++;
      if (old === 0) return 0;
      const last: FeedPosition = { xid: String(batch[old - 1]!.xid), seq: String(batch[old - 1]!.seq) };
      await db.transaction().execute(async (trx) => {
        if (dialect === 'sqlite') {
          await sql`delete from events where seq <= ${Number(last.seq)}`.execute(trx);
        } else {
          await sql`delete from events where (xid, seq) <= (${last.xid}::xid8, ${last.seq}::bigint)`.execute(trx);
        }
        const mark = (
          await sql<{ xid: string; seq: string }>`select xid, seq from event_prune_mark where id = 1 ${
            dialect === 'postgres' ? sql`for update` : sql``
          }`.execute(trx)
        ).rows[0];
        if (mark === undefined || comparePositions(last, mark) > 0) {
          await sql`update event_prune_mark set xid = ${last.xid}, seq = ${last.seq} where id = 1`.execute(trx);
        }
      });
      return old;
    },
  };
}
