// Directory events as the core writes them (the transactional outbox, issue 11) and reads them back from the feed.

export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.member_added',
  'group.member_removed',
  'scim_token.created',
  'scim_token.revoked',
  'scim_token.expiring',
  'sso_provider.created',
  'sso_provider.updated',
  'sso_provider.deleted',
  'webhook.disabled',
  'user.signed_in',
  'domain.verified',
  'domain.verification_failed',
  'domain.removed',
  'directory.created',
  'directory.updated',
  'directory.deleted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The envelope, identical wherever an event is delivered: `{id, type, tenantId, occurredAt, data}`. */
export interface DirectoryEvent {
  readonly id: string;
  readonly type: EventType;
  readonly tenantId: string;
  readonly occurredAt: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * A place in the feed. SQLite: `xid` is 0 and `seq` the row number (commit order: one writer). PostgreSQL: the
 * writing transaction's id (xid8) and the row's sequence number; the feed orders by (xid, seq). Decimal strings,
 * since both can exceed 2^53.
 */
export interface FeedPosition {
  readonly xid: string;
  readonly seq: string;
}

export interface FeedQuery {
  /** One tenant's events, or every tenant's (the operator's feed). */
  readonly tenantId: string | undefined;
  readonly after: FeedPosition | undefined;
  readonly limit: number;
  readonly types: readonly EventType[] | undefined;
}

export interface FeedPage {
  /** At most `limit + 1` events after the position, in feed order: the extra one tells that more follow. */
  readonly events: readonly {
    readonly position: FeedPosition;
    readonly event: DirectoryEvent;
    /** `data` as stored (JSON text): webhook bodies splice it in rather than serialising the object again. */
    readonly dataJson: string;
  }[];
  /**
   * Every event at or before this position that the feed will ever show is already committed and visible, so a
   * reader who has consumed the page can continue from here without missing a late commit.
   */
  readonly horizon: FeedPosition;
}

/** An event's id: `evt_` + a time-ordered UUID (`id`). */
export const eventId = (id: string) => `evt_${id}`;

/** A new event: its id (eventId) and the time it occurred. */
export function newEvent(
  id: string,
  at: Date,
  tenantId: string,
  type: EventType,
  data: Readonly<Record<string, unknown>>,
): DirectoryEvent {
  return { id: eventId(id), type, tenantId, occurredAt: at.toISOString(), data };
}
