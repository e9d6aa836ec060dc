// What webhooks need from the outside: an HTTP sender (with the SSRF policy), a URL check, and the store.

import type { DirectoryEvent, FeedPosition } from '../events/records.ts';
import type { Repositories } from '../ports.ts';
import type {
  AttemptRecord,
  ClaimedEndpoint,
  DeliveryWithAttempts,
  QueuedDelivery,
  SendResult,
  WebhookOwner,
  WebhookRecord,
} from './records.ts';

/** The outbound sender (src/webhooks/outbound.ts): timeout, no redirects, capped response, address checked after DNS. */
export interface WebhookTransport {
  send(url: string, headers: Record<string, string>, body: string): Promise<SendResult>;
  close(): Promise<void> | void;
}

/** The URL policy at create and update time (https only unless private addresses are allowed). */
export type WebhookUrlCheck = (url: string) => { ok: true } | { ok: false; code: string; reason: string };

/** A delivery the dispatcher queues: one event for one endpoint. */
export interface PlannedDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly event: DirectoryEvent;
  readonly body: string;
}

/** The endpoints the dispatcher matches events against. */
export type DispatchTarget = Pick<WebhookRecord, 'id' | 'tenantId' | 'eventTypes' | 'start'>;

export interface FeedEntry {
  readonly position: FeedPosition;
  readonly event: DirectoryEvent;
  /** The event's `data` exactly as stored (JSON text), so a body is built without serialising it again. */
  readonly dataJson: string;
}

export type DispatchPlan = (entries: readonly FeedEntry[], targets: readonly DispatchTarget[]) => PlannedDelivery[];

/** A batch's outcome, written in one transaction: the sent deliveries, and at most one failure that stopped it. */
export interface BatchOutcome {
  readonly webhookId: string;
  readonly leaseOwner: string;
  readonly at: string;
  readonly succeeded: readonly { readonly id: string; readonly attempt: AttemptRecord }[];
  readonly failed?: {
    readonly id: string;
    readonly attempt: AttemptRecord;
    readonly nextAttemptAt: string;
    readonly failingSince: string;
  };
  /** The endpoint failed for longer than the retry period: disable it, and write what `onDisable` adds. */
  readonly disable?: {
    readonly reason: string;
    readonly onDisable: (tx: Repositories) => Promise<void>;
  };
  /** Keep the lease until then (more to send), or release it (null): the endpoint then waits behind the others. */
  readonly leaseUntil: string | null;
}

export interface WebhookUpdate {
  readonly url: string;
  readonly description: string | null;
  readonly eventTypes: WebhookRecord['eventTypes'];
  readonly enabled: boolean;
  readonly secretSealed: string;
  readonly previousSecretSealed: string | null;
  readonly previousSecretUntil: string | null;
  readonly updatedAt: string;
}

export interface WebhookStore {
  /**
   * Inserts the endpoint with its start position: the later of the dispatcher's cursor and the feed's horizon, read
   * while the dispatcher's cursor is locked so no round can fan out events past it without seeing the endpoint.
   */
  create(record: Omit<WebhookRecord, 'start'>, audit: (tx: Repositories) => Promise<void>): Promise<WebhookRecord>;
  get(owner: WebhookOwner, id: string): Promise<WebhookRecord | undefined>;
  list(owner: WebhookOwner): Promise<readonly WebhookRecord[]>;
  /** Re-enabling clears the disabled fields, the backoff and the failing period. */
  update(
    owner: WebhookOwner,
    id: string,
    next: WebhookUpdate,
    audit: (tx: Repositories) => Promise<void>,
  ): Promise<void>;
  delete(owner: WebhookOwner, id: string, audit: (tx: Repositories) => Promise<void>): Promise<boolean>;
  /** Newest first, before the queue position `before` (exclusive). */
  deliveries(
    webhookId: string,
    options: { readonly limit: number; readonly before: string | undefined },
  ): Promise<readonly (DeliveryWithAttempts & { readonly seq: string })[]>;
  /** A copy of the delivery at the end of the endpoint's queue, or undefined when there is no such delivery. */
  requeue(webhookId: string, deliveryId: string, newId: string, at: string): Promise<DeliveryWithAttempts | undefined>;

  /**
   * One dispatcher round in one transaction: events after the cursor (at most `limit`), the deliveries `plan` makes
   * of them, and the cursor moved past them. Undefined when another process holds the cursor (PostgreSQL). With no
   * enabled endpoint it reads one row and writes nothing.
   */
  dispatch(
    limit: number,
    at: string,
    plan: DispatchPlan,
  ): Promise<{ events: number; deliveries: number; more: boolean; targets: number } | undefined>;
  /** Leases up to `limit` enabled endpoints that have deliveries to send and no backoff or live lease. */
  claim(owner: string, now: string, leaseUntil: string, limit: number): Promise<readonly ClaimedEndpoint[]>;
  /** The endpoint's next deliveries in queue order (after the queue position `after`, when given). */
  queued(webhookId: string, after: string | undefined, limit: number): Promise<readonly QueuedDelivery[]>;
  /** Extends the lease; false when this owner no longer holds it. */
  renew(webhookId: string, owner: string, until: string): Promise<boolean>;
  /** Writes a batch's outcome (see BatchOutcome); false when this owner no longer held the lease. */
  record(outcome: BatchOutcome): Promise<boolean>;
  /** Removes finished deliveries (and their attempts) created before `at`, the oldest `limit`; returns how many. */
  pruneBefore(at: string, limit: number): Promise<number>;
  /**
   * Deliveries not yet delivered, over every endpoint, counted up to `cap`: the queue's partial index, read no further
   * than `cap` entries however long the backlog (the metrics' queue depth, ADR 0033).
   */
  queueDepth(cap: number): Promise<number>;
}
