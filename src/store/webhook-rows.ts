// Webhook rows to records and back, shared by the endpoint store and the delivery queue (ADR 0020).
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { EventType } from '../core/events/records.ts';
import type { AttemptRecord, DeliveryWithAttempts, WebhookOwner, WebhookRecord } from '../core/webhooks/records.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';
export type Row = Record<string, unknown>;

const ROWS_PER_STATEMENT = 200;

export const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const int = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toWebhook(r: Row): WebhookRecord {
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

export function toAttempt(r: Row): AttemptRecord {
  return {
    n: Number(r.n),
    at: String(r.at),
    status: int(r.status),
    latencyMs: Number(r.latency_ms),
    excerpt: text(r.excerpt),
    error: text(r.error),
  };
}

export function toDelivery(r: Row, attempts: readonly AttemptRecord[]): DeliveryWithAttempts & { seq: string } {
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

export const ownedBy = (owner: WebhookOwner): RawBuilder<unknown> =>
  owner === null ? sql`tenant_id is null` : sql`tenant_id = ${owner}`;

export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

export async function insertAttempts(db: Kysely<Database>, rows: readonly { id: string; attempt: AttemptRecord }[]) {
  for (const part of chunks(rows)) {
    const values = part.map(
      ({ id, attempt: a }) => sql`(${id}, ${a.n}, ${a.at}, ${a.status}, ${a.latencyMs}, ${a.excerpt}, ${a.error})`,
    );
    await sql`insert into webhook_attempts (delivery_id, n, at, status, latency_ms, excerpt, error)
      values ${sql.join(values)}`.execute(db);
  }
}
