// Webhook endpoints and their delivery history on both dialects (ADR 0020); the queues are in webhook-queue.ts.
import { type Kysely, sql } from 'kysely';
import type { Repositories } from '../core/ports.ts';
import type { WebhookStore } from '../core/webhooks/ports.ts';
import type { AttemptRecord } from '../core/webhooks/records.ts';
import type { Database } from './schema.ts';
import { dispatchCursor } from './webhook-cursor.ts';
import { createWebhookQueue } from './webhook-queue.ts';
import { type Dialect, ownedBy, type Row, toAttempt, toDelivery, toWebhook } from './webhook-rows.ts';

export function createWebhookStore(
  db: Kysely<Database>,
  dialect: Dialect,
  repositoriesIn: (trx: Kysely<Database>) => Repositories,
): WebhookStore {
  const cursor = dispatchCursor(dialect);
  const { startFromNow } = cursor;
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
    ...createWebhookQueue(db, dialect, cursor, repositoriesIn),
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
  };
}
