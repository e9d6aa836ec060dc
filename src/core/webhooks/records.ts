// Webhook endpoints, their deliveries and attempts as the core sees them (issue 11, item 3; ADR 0020).
import type { EventType, FeedPosition } from '../events/records.ts';

/** Whose endpoint: a tenant's (its events only) or the operator's (`null`: every tenant's events). */
export type WebhookOwner = string | null;

export interface WebhookRecord {
  readonly id: string;
  readonly tenantId: WebhookOwner;
  readonly url: string;
  readonly description: string | null;
  /** null: every type. */
  readonly eventTypes: readonly EventType[] | null;
  readonly enabled: boolean;
  readonly secretSealed: string;
  /** The secret before the last rotation, still signing until `previousSecretUntil`. */
  readonly previousSecretSealed: string | null;
  readonly previousSecretUntil: string | null;
  /** Only events after this feed position are delivered (the dispatcher's place when the endpoint was made). */
  readonly start: FeedPosition;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly nextAttemptAt: string | null;
  readonly failingSince: string | null;
  readonly disabledAt: string | null;
  readonly disabledReason: string | null;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface AttemptRecord {
  readonly n: number;
  readonly at: string;
  readonly status: number | null;
  readonly latencyMs: number;
  readonly excerpt: string | null;
  readonly error: string | null;
}

export interface DeliveryRecord {
  readonly id: string;
  readonly webhookId: string;
  readonly tenantId: string;
  readonly eventId: string;
  readonly eventType: string;
  /**
   * `pending`: queued, not tried yet. `failed`: its last attempt failed; it stays at the head of the endpoint's
   * queue and is tried again. `succeeded`: a 2xx answered.
   */
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: string;
  readonly firstAttemptAt: string | null;
  readonly nextAttemptAt: string | null;
  readonly lastStatus: number | null;
  readonly lastLatencyMs: number | null;
  readonly lastExcerpt: string | null;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
}

export interface DeliveryWithAttempts extends DeliveryRecord {
  readonly attemptList: readonly AttemptRecord[];
}

/** A delivery as the worker sends it: the queue position, the event id and the body text. */
export interface QueuedDelivery {
  readonly id: string;
  readonly seq: string;
  readonly eventId: string;
  readonly body: string;
  readonly attempts: number;
}

/** An endpoint the worker holds the lease of. */
export interface ClaimedEndpoint {
  readonly id: string;
  readonly tenantId: WebhookOwner;
  readonly url: string;
  readonly secretSealed: string;
  readonly previousSecretSealed: string | null;
  readonly previousSecretUntil: string | null;
  readonly failingSince: string | null;
}

/** What one send told: a status (null when no response came), how long it took, and a capped excerpt. */
export interface SendResult {
  readonly status: number | null;
  readonly latencyMs: number;
  readonly responseExcerpt: string | null;
  readonly error: string | null;
  readonly errorDetail: string | null;
}
