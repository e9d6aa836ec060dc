// Webhook delivery queues: the dispatcher's fan-out, endpoint leases, and batch outcomes (ADR 0020). On PostgreSQL
// the dispatcher's cursor and each endpoint are taken with FOR UPDATE SKIP LOCKED, and an endpoint stays with the
// process that leased it until the lease ends.
import { type Kysely, sql } from 'kysely';
import { comparePositions } from '../core/events/position.ts';
import type { EventType } from '../core/events/records.ts';
import type { Repositories } from '../core/ports.ts';
import type { DispatchTarget, WebhookStore } from '../core/webhooks/ports.ts';
import { createEventFeedStore } from './events.ts';
import type { Database } from './schema.ts';
import type { DispatchCursor } from './webhook-cursor.ts';
import { chunks, type Dialect, insertAttempts, type Row, text } from './webhook-rows.ts';

export type WebhookQueue = Pick<
  WebhookStore,
  'dispatch' | 'claim' | 'queued' | 'renew' | 'record' | 'pruneBefore' | 'queueDepth'
>;

export function createWebhookQueue(
  db: Kysely<Database>,
  dialect: Dialect,
  cursor: DispatchCursor,
  repositoriesIn: (trx: Kysely<Database>) => Repositories,
): WebhookQueue {
  const pg = dialect === 'postgres';
  const { readCursor, moveCursor, anyEnabled } = cursor;
  /** The first delivery made at or after a purge's cut-off (none: every delivery is older). */
  let pruneBound: { readonly at: string; readonly seq: string | number | undefined } | undefined;
  return {
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

    async queueDepth(cap) {
      // The same predicate as the partial index webhook_deliveries_queue, so only undelivered rows are read.
      const rows = (
        await sql<Row>`select count(*) as n from (select 1 from webhook_deliveries
          where status <> 'succeeded' limit ${cap}) q`.execute(db)
      ).rows;
      return Number(rows[0]?.n ?? 0);
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

    async pruneBefore(at, limit) {
      // No index on created_at: deliveries are made in queue order, so the old ones are a prefix of the primary key,
      // up to the first one made at or after `at`. Finding that bound walks the prefix, so it is found once per
      // purge (its cut-off), not once per batch; each batch is then a bounded range from the key's start.
      if (pruneBound?.at !== at) {
        const first = (
          await sql<{ seq: string | number }>`select seq from webhook_deliveries where created_at >= ${at}
            order by seq limit 1`.execute(db)
        ).rows[0];
        pruneBound = { at, seq: first?.seq };
      }
      const bound = pruneBound.seq;
      const r = await sql`delete from webhook_deliveries where seq in (
          select seq from webhook_deliveries
          where ${bound === undefined ? sql`true` : sql`seq < ${bound}`}
            and status = 'succeeded' and created_at < ${at}
          order by seq limit ${limit})`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },
  };
}
