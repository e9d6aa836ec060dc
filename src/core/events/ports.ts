// What the events need from the store: appending inside a write transaction, and reading the committed feed.
import type { DirectoryEvent, FeedPage, FeedPosition, FeedQuery } from './records.ts';

/** Part of a write transaction's repositories: the events commit or roll back with the change they describe. */
export interface EventRepository {
  append(events: readonly DirectoryEvent[]): Promise<void>;
}

export interface EventFeedStore {
  /** Events after `query.after` that can no longer be preceded by a later commit (ADR 0018). */
  read(query: FeedQuery): Promise<FeedPage>;
  /** The highest position a prune has removed, if any: cursors before it may have missed events. */
  pruneMark(): Promise<FeedPosition | undefined>;
  /**
   * Deletes the oldest events, at most `limit`, up to the first that occurred at or after `at`, and moves the prune
   * mark past them; returns how many.
   */
  pruneBefore(at: string, limit: number): Promise<number>;
}
