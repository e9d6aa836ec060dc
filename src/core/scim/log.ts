// The provisioning log: every SCIM request of a tenant, what happened, and what changed — by name, never by value.
import { type Clock, systemClock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { toStorableText } from '../../lib/storable-text.ts';
import { type PurgeOptions, purgeOlderThan } from '../retention/paced-batches.ts';
import { type AuthFailureReason, AuthFailureTally, type AuthFailureWindow, authFailureEntry } from './auth-failures.ts';
import type { ScimCaller, ScimDeps } from './context.ts';
import type { ScimStore } from './ports.ts';
import type { ScimLogEntry, ScimLogQuery } from './records.ts';

const DEFAULT_MAX_PENDING = 50_000;

/**
 * Provisioning log entries are written in batches: one durable commit per batch instead of one fsync per SCIM
 * request, which would cap every endpoint — reads included — at the disk's commit rate. The cost: entries of the
 * last interval are lost if the process is killed (the resources themselves are committed before the response).
 * While the database is unavailable, batches are kept and written when it returns.
 */
export class ScimLogBuffer {
  private pending: ScimLogEntry[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private readonly timer: NodeJS.Timeout;
  private readonly authFailures: AuthFailureTally;

  constructor(
    private readonly store: ScimStore,
    private readonly options: {
      intervalMs: number;
      maxBatch: number;
      onError: (error: unknown) => void;
      /** Errors after which the batch is kept for the next flush (the database is briefly unavailable). */
      retryable?: (error: unknown) => boolean;
      /** Most entries kept while the database is unavailable; beyond it the oldest are dropped (and reported). */
      maxPending?: number;
      /**
       * Whether a tenant exists, asked once per tenant and write, off the request path: failed authentications are
       * recorded only for existing tenants. Without it they are not recorded.
       */
      tenantExists?: (tenantId: string) => Promise<boolean>;
      /** Most open failed-authentication windows (tenant × minute × reason) at once. */
      maxAuthFailureWindows?: number;
      clock?: Clock;
    },
  ) {
    this.authFailures = new AuthFailureTally(options.maxAuthFailureWindows);
    this.timer = setInterval(() => void this.flush(), options.intervalMs);
    this.timer.unref();
  }

  add(entry: ScimLogEntry): void {
    this.pending.push(entry);
    // One flush queued at a time: while it waits, later entries join its batch instead of queueing flushes of
    // their own (under load that was one queued promise per request).
    if (this.pending.length >= this.options.maxBatch && !this.flushQueued) {
      this.flushQueued = true;
      void this.flush();
    }
  }

  /**
   * A failed authentication at a tenant's SCIM URL: counted in memory, written as one entry per tenant, minute and
   * reason once the minute has ended (or when the log is read), so a flood costs one row, not one per request.
   */
  noteAuthFailure(tenantId: string, reason: AuthFailureReason): void {
    if (this.options.tenantExists) this.authFailures.note(tenantId, reason, this.now());
  }

  /** Open failed-authentication windows (bounded by maxAuthFailureWindows). */
  get openAuthFailureWindows(): number {
    return this.authFailures.size;
  }

  private now(): Date {
    return (this.options.clock ?? systemClock).now();
  }

  /** Entries for the windows of tenants that exist; the rest (typos, guesses) are dropped unwritten. */
  private async authFailureEntries(windows: readonly AuthFailureWindow[]): Promise<ScimLogEntry[]> {
    const exists = this.options.tenantExists;
    if (!exists || windows.length === 0) return [];
    const known = new Map<string, boolean>();
    for (const { tenantId } of windows) if (!known.has(tenantId)) known.set(tenantId, await exists(tenantId));
    if (this.authFailures.dropped > 0) {
      this.options.onError(new Error(`${this.authFailures.dropped} failed authentications were not counted`));
      this.authFailures.dropped = 0;
    }
    return windows.filter((w) => known.get(w.tenantId)).map(authFailureEntry);
  }

  /**
   * Writes everything added so far; concurrent calls queue behind each other. Failed-authentication windows are
   * written once their minute has ended, or all of them with `openWindows` (the log is being read, or closed).
   */
  flush(options: { openWindows?: boolean } = {}): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      this.flushQueued = false;
      const windows =
        this.authFailures.size > 0 ? this.authFailures.take(this.now(), options.openWindows === true) : [];
      if (this.pending.length === 0 && windows.length === 0) return;
      const batch = this.pending;
      this.pending = [];
      try {
        batch.push(...(await this.authFailureEntries(windows)));
        if (batch.length === 0) return;
        await this.store.transaction(async (tx) => {
          await tx.scimLog.appendMany(batch);
        });
      } catch (error) {
        this.options.onError(error);
        if (this.options.retryable?.(error)) {
          // Kept, in order, ahead of what arrived meanwhile: an outage must not erase the record of writes made.
          this.pending = [...batch, ...this.pending];
          const excess = this.pending.length - (this.options.maxPending ?? DEFAULT_MAX_PENDING);
          if (excess > 0) {
            this.pending.splice(0, excess);
            this.options.onError(new Error(`dropped ${excess} provisioning log entries while the database was down`));
          }
        }
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush({ openWindows: true });
  }
}

export interface ScimRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly draft: {
    readonly operation: string;
    readonly resourceType?: string | undefined;
    readonly resourceId?: string | undefined;
    readonly summary: Readonly<Record<string, unknown>>;
  };
}

/** Keys a summary may carry; anything else (a value someone added by mistake, a password) is dropped. */
const SUMMARY_KEYS = new Set([
  'userName',
  'displayName',
  'changedAttributes',
  'results',
  'totalResults',
  'error',
  'scimType',
  'operations',
]);

function redactSummary(summary: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(summary)) {
    if (!SUMMARY_KEYS.has(key)) continue;
    // Details may quote request text; an entry PostgreSQL cannot store would fail its whole batch (every tenant's).
    out[key] = typeof value === 'string' ? toStorableText(value.slice(0, 300)) : value;
  }
  return out;
}

export function recordScimRequest(
  deps: Pick<ScimDeps, 'scim' | 'clock'> & { readonly scimLog: ScimLogBuffer },
  caller: ScimCaller,
  record: ScimRequestRecord,
): void {
  const { draft } = record;
  deps.scimLog.add({
    id: newId(),
    tenantId: caller.tenantId,
    at: deps.clock.now().toISOString(),
    tokenId: caller.tokenId,
    method: record.method,
    path: toStorableText(record.path.slice(0, 300)),
    operation: draft.operation,
    resourceType: draft.resourceType ?? null,
    resourceId: draft.resourceId === undefined ? null : toStorableText(draft.resourceId.slice(0, 128)),
    status: record.status,
    scimType: typeof draft.summary.scimType === 'string' ? draft.summary.scimType : null,
    durationMs: record.durationMs,
    summary: redactSummary(draft.summary),
  });
}

export async function listScimLog(
  deps: Pick<ScimDeps, 'scim' | 'clock'> & { readonly scimLog: ScimLogBuffer },
  tenantId: string,
  query: ScimLogQuery,
): Promise<{ items: readonly ScimLogEntry[]; nextCursor: string | null }> {
  // An admin looking at the log right after a failure must see it: write what is buffered first.
  await deps.scimLog.flush({ openWindows: true });
  const items = await deps.scim.scimLog.list(tenantId, { ...query, limit: query.limit + 1 });
  const page = items.slice(0, query.limit);
  return { items: page, nextCursor: items.length > query.limit ? (page.at(-1)?.id ?? null) : null };
}

/** Deletes entries older than the retention period, in paced batches; run periodically by the app. */
export function purgeScimLog(
  deps: Pick<ScimDeps, 'scim' | 'clock'>,
  retentionDays: number,
  options?: PurgeOptions,
): Promise<number> {
  return purgeOlderThan(
    deps.clock,
    retentionDays,
    (cutoff, limit) => deps.scim.scimLog.purgeBefore(cutoff, limit),
    options,
  );
}
