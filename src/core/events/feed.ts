// The event feed: a page after a cursor, for one tenant or for all, and its retention.
import type { Clock } from '../../lib/clock.ts';
import { DomainError, invalid } from '../errors.ts';
import { type PurgeOptions, purgeOlderThan } from '../retention/paced-batches.ts';
import type { EventFeedStore } from './ports.ts';
import { comparePositions, decodeCursor, encodeCursor } from './position.ts';
import { type DirectoryEvent, EVENT_TYPES, type EventType } from './records.ts';

export interface FeedDeps {
  readonly events: EventFeedStore;
}

export interface FeedRequest {
  readonly after: string | undefined;
  readonly limit: number;
  /** Comma-separated event types, or undefined for all. */
  readonly types: string | undefined;
}

export interface FeedAnswer {
  readonly data: readonly DirectoryEvent[];
  readonly nextCursor: string;
  readonly hasMore: boolean;
}

export const MAX_FEED_LIMIT = 1000;

function parseTypes(text: string | undefined): EventType[] | undefined {
  if (text === undefined || text === '') return undefined;
  const types = text.split(',').map((t) => t.trim());
  const unknown = types.find((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown !== undefined) throw invalid('types', `unknown event type "${unknown.slice(0, 64)}"`);
  return types as EventType[];
}

/**
 * One page of the feed. Without `after`, from the oldest retained event. `nextCursor` is the last event's position
 * while more follow, and otherwise the feed's horizon, past which nothing can still commit: a consumer that
 * always passes it back sees each event once and misses none (ADR 0018).
 */
export async function readFeed(
  deps: FeedDeps,
  tenantId: string | undefined,
  request: FeedRequest,
): Promise<FeedAnswer> {
  if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_FEED_LIMIT) {
    throw invalid('limit', `must be an integer from 1 to ${MAX_FEED_LIMIT}`);
  }
  const types = parseTypes(request.types);
  const after = request.after === undefined ? undefined : decodeCursor(request.after);
  if (after !== undefined) {
    const mark = await deps.events.pruneMark();
    if (mark !== undefined && comparePositions(after, mark) < 0) {
      throw new DomainError(
        'events.cursor_expired',
        'events after this cursor are past retention; resynchronise from the directory and follow the feed again',
      );
    }
  }
  const page = await deps.events.read({ tenantId, after, limit: request.limit, types });
  const hasMore = page.events.length > request.limit;
  const shown = page.events.slice(0, request.limit);
  let next = hasMore ? shown[shown.length - 1]!.position : page.horizon;
  const floor = shown.length > 0 ? shown[shown.length - 1]!.position : after;
  if (floor !== undefined && comparePositions(floor, next) > 0) next = floor;
  return { data: shown.map((e) => e.event), nextCursor: encodeCursor(next), hasMore };
}

/** Deletes events older than the retention period, in paced batches; run periodically by the app. */
export function pruneEvents(
  deps: FeedDeps & { readonly clock: Clock },
  retentionDays: number,
  options?: PurgeOptions,
): Promise<number> {
  return purgeOlderThan(deps.clock, retentionDays, (cutoff, limit) => deps.events.pruneBefore(cutoff, limit), options);
}
