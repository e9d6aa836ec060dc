// Webhook endpoints, their delivery queues and the dispatcher's cursor on both dialects (ADR 0020). On PostgreSQL
// several processes share the work: the dispatcher's cursor and each endpoint are taken with FOR UPDATE SKIP LOCKED,
// and an endpoint stays with the process that leased it until the lease ends.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { comparePositions } from '../core/events/position.ts';
import type { EventType, FeedPosition } from '../core/events/records.ts';
import type { Repositories } from '../core/ports.ts';
import type { DispatchTarget, WebhookStore } from '../core/webhooks/ports.ts';
import type { AttemptRecord, DeliveryWithAttempts, WebhookOwner, WebhookRecord } from '../core/webhooks/records.ts';
import { createEventFeedStore } from './events.ts';
import type { Database } from './schema.ts';

type Dialect = 'sqlite' | 'postgres';
type Row = Record<string, unknown>;

const ROWS_PER_STATEMENT = 200;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const int = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toWebhook(r: Row): WebhookRecord {
  return {
    id: String(r.id),
    tenantId: text(r.tenant_id),
    url: String(r.url),
    description: text(r.description),
    eventTypes: r.event_types === null ? null : (JSON.parse(String(r.event_types)) as EventType[]),
    enabled: Number(r.enabled) === 1,
    secretSealed: String(r.secret_sealed),
    previousSecretSealed: text(r.previous_secret_sealed),
    previousSecretUntil: text(r.previous_secret_until),
    start: { xid: String(r.start_xid), seq: String(r.start_seq) },
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
    nextAttemptAt: text(r.next_attempt_at),
    failingSince: text(r.failing_since),
    disabledAt: text(r.disabled_at),
    disabledReason: text(r.disabled_reason),
  };
}

function toAttempt(r: Row): AttemptRecord {
  return {
    n: Number(r.n),
    at: String(r.at),
    status: int(r.status),
    latencyMs: Number(r.latency_ms),
    excerpt: text(r.excerpt),
    error: text(r.error),
  };
}

function toDelivery(r: Row, attempts: readonly AttemptRecord[]): DeliveryWithAttempts & { seq: string } {
  return {
    id: String(r.id),
    seq: String(r.seq),
    webhookId: String(r.webhook_id),
    tenantId: String(r.tenant_id),
    eventId: String(r.event_id),
    eventType: String(r.event_type),
    status: r.status as DeliveryWithAttempts['status'],
    attempts: Number(r.attempts),
    createdAt: String(r.created_at),
    firstAttemptAt: text(r.first_attempt_at),
    nextAttemptAt: text(r.next_attempt_at),
    lastStatus: int(r.last_status),
    lastLatencyMs: int(r.last_latency_ms),
    lastExcerpt: text(r.last_excerpt),
    lastError: text(r.last_error),
    deliveredAt: text(r.delivered_at),
    attemptList: attempts,
  };
}

const ownedBy = (owner: WebhookOwner): RawBuilder<unknown> =>
  owner === null ? sql`tenant_id is null` : sql`tenant_id = ${owner}`;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

async function insertAttempts(db: Kysely<Database>, rows: readonly { id: string; attempt: AttemptRecord }[]) {
  for (const part of chunks(rows)) {
    const values = part.map(
      ({ id, attempt: a }) => sql`(${id}, ${a.n}, ${a.at}, ${a.status}, ${a.latencyMs}, ${a.excerpt}, ${a.error})`,
    );
    await sql`insert into webhook_attempts (delivery_id, n, at, status, latency_ms, excerpt, error)
      values ${sql.join(values)}`.execute(db);
  }
}

export function createWebhookStore(
  db: Kysely<Database>,
  dialect: Dialect,
  repositoriesIn: (trx: Kysely<Database>) => Repositories,
): WebhookStore {
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

  const attemptsOf = async (ids: readonly string[]): Promise<Map<string, AttemptRecord[]>> => {
    const out = new Map<string, AttemptRecord[]>();
    if (ids.length === 0) return out;
    const rows = (
      await sql<Row>`select * from webhook_attempts where delivery_id in (${sql.join(ids.map((id) => sql`${id}`))})
        order by delivery_id, n`.execute(db)
    ).rows;
    for (const r of rows) {
      const list = out.get(String(r.delivery_id)) ?? [];
      list.push(toAttempt(r));
      out.set(String(r.delivery_id), list);
    }
    return out;
  };

  return {
    async create(draft, audit) {
      return db.transaction().execute(async (trx) => {
        const start = await startFromNow(trx);
        await sql`insert into webhooks (id, tenant_id, url, description, event_types, enabled, secret_sealed,
            previous_secret_sealed, previous_secret_until, start_xid, start_seq, created_at, updated_at)
          values (${draft.id}, ${draft.tenantId}, ${draft.url}, ${draft.description},
            ${draft.eventTypes === null ? null : JSON.stringify(draft.eventTypes)}, ${draft.enabled ? 1 : 0},
            ${draft.secretSealed}, null, null, ${start.xid}, ${start.seq}, ${draft.createdAt}, ${draft.updatedAt})`.execute(
          trx,
        );
        await audit(repositoriesIn(trx));
        return { ...draft, start };
      });
    },

    async get(owner, id) {
      const row = (await sql<Row>`select * from webhooks where id = ${id} and ${ownedBy(owner)}`.execute(db)).rows[0];
      return row && toWebhook(row);
    },

    async list(owner) {
      const rows = (await sql<Row>`select * from webhooks where ${ownedBy(owner)} order by id`.execute(db)).rows;
      return rows.map(toWebhook);
    },

    async update(owner, id, next, audit) {
      await db.transaction().execute(async (trx) => {
        const enabled = next.enabled ? 1 : 0;
        const current = (
          await sql<{ enabled: number }>`select enabled from webhooks where id = ${id} and ${ownedBy(owner)}`.execute(
            trx,
          )
        ).rows[0];
        if (current === undefined) return;
        // Re-enabled: its held-back queue is sent, then events from now on (none committed while it was disabled).
        if (Number(current.enabled) === 0 && enabled === 1) {
          const start = await startFromNow(trx);
          await sql`update webhooks set start_xid = ${start.xid}, start_seq = ${start.seq} where id = ${id}`.execute(
            trx,
          );
        }
        // Resuming (or pointing at a new URL) starts again at once, with a fresh retry period.
        const fresh = sql`(enabled = 0 and ${enabled} = 1) or url <> ${next.url}`;
        await sql`update webhooks set
            url = ${next.url}, description = ${next.description},
            event_types = ${next.eventTypes === null ? null : JSON.stringify(next.eventTypes)},
            enabled = ${enabled}, secret_sealed = ${next.secretSealed},
            previous_secret_sealed = ${next.previousSecretSealed}, previous_secret_until = ${next.previousSecretUntil},
            updated_at = ${next.updatedAt},
            next_attempt_at = case when ${fresh} then null else next_attempt_at end,
            failing_since = case when ${fresh} then null else failing_since end,
            disabled_at = case when ${enabled} = 1 then null else disabled_at end,
            disabled_reason = case when ${enabled} = 1 then null else disabled_reason end
          where id = ${id} and ${ownedBy(owner)}`.execute(trx);
        await audit(repositoriesIn(trx));
      });
    },

    async delete(owner, id, audit) {
      return db.transaction().execute(async (trx) => {
        const r = await sql`delete from webhooks where id = ${id} and ${ownedBy(owner)}`.execute(trx);
        if (Number(r.numAffectedRows ?? 0) === 0) return false;
        await audit(repositoriesIn(trx));
        return true;
      });
    },

    async deliveries(webhookId, { limit, before }) {
      const rows = (
        await sql<Row>`select seq, id, webhook_id, tenant_id, event_id, event_type, status, attempts, created_at,
            first_attempt_at, next_attempt_at, last_status, last_latency_ms, last_excerpt, last_error, delivered_at
          from webhook_deliveries where webhook_id = ${webhookId}
          ${before === undefined ? sql`` : sql`and seq < ${before}`}
          order by seq desc limit ${limit}`.execute(db)
      ).rows;
      const attempts = await attemptsOf(rows.map((r) => String(r.id)));
      return rows.map((r) => toDelivery(r, attempts.get(String(r.id)) ?? []));
    },

    async requeue(webhookId, deliveryId, newId, at) {
      const r = await sql`insert into webhook_deliveries
          (id, webhook_id, tenant_id, event_id, event_type, body, status, attempts, created_at)
        select ${newId}, webhook_id, tenant_id, event_id, event_type, body, 'pending', 0, ${at}
        from webhook_deliveries where webhook_id = ${webhookId} and id = ${deliveryId}`.execute(db);
      if (Number(r.numAffectedRows ?? 0) === 0) return undefined;
      const row = (await sql<Row>`select * from webhook_deliveries where id = ${newId}`.execute(db)).rows[0]!;
      return toDelivery(row, []);
    },

    async dispatch(limit, at, plan) {
      if (!(await anyEnabled(db))) return { events: 0, deliveries: 0, more: false, targets: 0 };
      return db.transaction().execute(async (trx) => {
        const cursor = await readCursor(trx, true);
        if (cursor === undefined) return undefined;
        const targets: DispatchTarget[] = (
          await sql<Row>`select id, tenant_id, event_types, start_xid, start_seq from webhooks where enabled = 1`.execute(
            trx,
          )
        ).rows.map((r) => ({
          id: String(r.id),
          tenantId: text(r.tenant_id),
          eventTypes: r.event_types === null ? null : (JSON.parse(String(r.event_types)) as EventType[]),
          start: { xid: String(r.start_xid), seq: String(r.start_seq) },
        }));
        if (targets.length === 0) return { events: 0, deliveries: 0, more: false, targets: 0 };
        const page = await createEventFeedStore(trx, dialect).read({
          tenantId: undefined,
          after: cursor,
          limit,
          types: undefined,
        });
        const more = page.events.length > limit;
        const entries = page.events.slice(0, limit);
        const last = entries[entries.length - 1]?.position;
        let next = more ? last! : page.horizon;
        if (last !== undefined && comparePositions(last, next) > 0) next = last;
        const planned = plan(entries, targets);
        for (const part of chunks(planned)) {
          const values = part.map(
            (d) =>
              sql`(${d.id}, ${d.webhookId}, ${d.event.tenantId}, ${d.event.id}, ${d.event.type}, ${d.body}, 'pending', 0, ${at})`,
          );
          // Rows in array order, so each endpoint's queue (by seq) follows the feed.
          await sql`insert into webhook_deliveries
              (id, webhook_id, tenant_id, event_id, event_type, body, status, attempts, created_at)
            values ${sql.join(values)}`.execute(trx);
        }
        await moveCursor(trx, cursor, next);
        return { events: entries.length, deliveries: planned.length, more, targets: targets.length };
      });
    },

    async claim(owner, now, leaseUntil, limit) {
      // SQLite: look before taking the write lock, so an idle poll never competes with the SCIM writers for it.
      if (!pg) {
        const due = await sql`select 1 as x from webhooks w where w.enabled = 1
            and (w.next_attempt_at is null or w.next_attempt_at <= ${now})
            and exists (select 1 from webhook_deliveries d where d.webhook_id = w.id and d.status <> 'succeeded')
          limit 1`.execute(db);
        if (due.rows.length === 0) return [];
      }
      const rows = (
        await sql<Row>`update webhooks set lease_owner = ${owner}, lease_until = ${leaseUntil}
          where id in (
            select w.id from webhooks w
            where w.enabled = 1
              and (w.lease_owner is null or w.lease_until < ${now})
              and (w.next_attempt_at is null or w.next_attempt_at <= ${now})
              and exists (select 1 from webhook_deliveries d where d.webhook_id = w.id and d.status <> 'succeeded')
            order by coalesce(w.lease_until, ''), w.id
            limit ${limit}
            ${pg ? sql`for update skip locked` : sql``}
          )
          returning id, tenant_id, url, secret_sealed, previous_secret_sealed, previous_secret_until, failing_since`.execute(
          db,
        )
      ).rows;
      return rows.map((r) => ({
        id: String(r.id),
        tenantId: text(r.tenant_id),
        url: String(r.url),
        secretSealed: String(r.secret_sealed),
        previousSecretSealed: text(r.previous_secret_sealed),
        previousSecretUntil: text(r.previous_secret_until),
        failingSince: text(r.failing_since),
      }));
    },

    async queued(webhookId, after, limit) {
      const rows = (
        await sql<Row>`select id, seq, event_id, body, attempts from webhook_deliveries
          where webhook_id = ${webhookId} and status <> 'succeeded'
          ${after === undefined ? sql`` : sql`and seq > ${after}`}
          order by seq limit ${limit}`.execute(db)
      ).rows;
      return rows.map((r) => ({
        id: String(r.id),
        seq: String(r.seq),
        eventId: String(r.event_id),
        body: String(r.body),
        attempts: Number(r.attempts),
      }));
    },

    async renew(webhookId, owner, until) {
      const r = await sql`update webhooks set lease_until = ${until}
        where id = ${webhookId} and lease_owner = ${owner}`.execute(db);
      return Number(r.numAffectedRows ?? 0) > 0;
    },

    async record(o) {
      return db.transaction().execute(async (trx) => {
        for (const part of chunks(o.succeeded)) {
          const values = part.map(
            ({ id, attempt: a }) => sql`(${id}, ${a.n}, ${a.at}, ${a.status}, ${a.latencyMs}, ${a.excerpt})`,
          );
          await sql`update webhook_deliveries set status = 'succeeded', attempts = cast(v.column2 as integer),
              first_attempt_at = coalesce(first_attempt_at, v.column3), delivered_at = v.column3,
              next_attempt_at = null, last_status = cast(v.column4 as integer),
              last_latency_ms = cast(v.column5 as integer), last_excerpt = v.column6, last_error = null
            from (values ${sql.join(values)}) as v
            where webhook_deliveries.id = v.column1`.execute(trx);
        }
        const attempts = [...o.succeeded];
        if (o.failed) {
          const { id, attempt: a, nextAttemptAt } = o.failed;
          await sql`update webhook_deliveries set status = 'failed', attempts = ${a.n},
              first_attempt_at = coalesce(first_attempt_at, ${a.at}), next_attempt_at = ${nextAttemptAt},
              last_status = ${a.status}, last_latency_ms = ${a.latencyMs}, last_excerpt = ${a.excerpt},
              last_error = ${a.error}
            where id = ${id}`.execute(trx);
          attempts.push({ id, attempt: a });
        }
        await insertAttempts(trx, attempts);
        const holder = (
          await sql<{ lease_owner: string | null }>`select lease_owner from webhooks where id = ${o.webhookId} ${
            pg ? sql`for update` : sql``
          }`.execute(trx)
        ).rows[0];
        if (holder?.lease_owner !== o.leaseOwner) return false;
        // Released: lease_until keeps the release time, so claims serve the endpoints waiting longest first.
        const lease = sql`lease_owner = ${o.leaseUntil === null ? null : o.leaseOwner}, lease_until = ${
          o.leaseUntil ?? o.at
        }`;
        if (o.failed) {
          await sql`update webhooks set ${lease}, next_attempt_at = ${o.failed.nextAttemptAt},
              failing_since = ${o.failed.failingSince}
              ${o.disable ? sql`, enabled = 0, disabled_at = ${o.at}, disabled_reason = ${o.disable.reason}` : sql``}
            where id = ${o.webhookId}`.execute(trx);
          if (o.disable) await o.disable.onDisable(repositoriesIn(trx));
        } else if (o.succeeded.length > 0) {
          await sql`update webhooks set ${lease}, next_attempt_at = null, failing_since = null
            where id = ${o.webhookId}`.execute(trx);
        } else {
          await sql`update webhooks set ${lease} where id = ${o.webhookId}`.execute(trx);
        }
        return true;
      });
    },

    async pruneBefore(at) {
      const r = await sql`delete from webhook_deliveries where status = 'succeeded' and created_at < ${at}`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },
  };
}
