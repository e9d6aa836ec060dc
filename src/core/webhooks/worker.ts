// The delivery loop of one process: the dispatcher fans feed events out to endpoint queues, then a bounded pool of
// slots each leases one due endpoint at a time and sends its queue in order (ADR 0020).
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Keyring } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import { newEvent } from '../events/records.ts';
import type { Repositories } from '../ports.ts';
import type { Telemetry } from '../telemetry/ports.ts';
import { retryDelayMs } from './backoff.ts';
import { planDeliveries } from './dispatch.ts';
import type { BatchOutcome, WebhookStore, WebhookTransport } from './ports.ts';
import type { AttemptRecord, ClaimedEndpoint, SendResult } from './records.ts';
import { endpointSigner } from './signing.ts';

export interface WebhookRunnerOptions {
  /** How often the loop looks for new events and due endpoints (ROSTER_WEBHOOK_POLL_MS). */
  readonly pollMs: number;
  /** An endpoint failing for longer than this is disabled (ROSTER_WEBHOOK_RETRY_HOURS). */
  readonly retryHours: number;
  /** How long a claimed endpoint stays this process's without renewal (ROSTER_WEBHOOK_LEASE_MS). */
  readonly leaseMs: number;
  /** Deliveries read and recorded together: the database cost per event is a share of one transaction. */
  readonly batchSize: number;
  /** Endpoints sent to at once by this process. */
  readonly parallel: number;
}

export const DEFAULT_RUNNER_OPTIONS: Omit<WebhookRunnerOptions, 'pollMs' | 'retryHours'> = {
  leaseMs: 30_000,
  batchSize: 100,
  parallel: 8,
};

export interface WebhookRunnerDeps {
  readonly webhooks: WebhookStore;
  readonly transport: WebhookTransport;
  readonly keyring: Keyring;
  /** Scheduling: backoff, leases, the retry period. */
  readonly clock: Clock;
  /** Signing timestamps, which receivers compare with their own clocks. */
  readonly wallClock?: () => number;
  readonly warn: (context: Record<string, unknown>, message: string) => void;
  /** Each send's outcome and latency, for the metrics (ADR 0033). */
  readonly telemetry?: Pick<Telemetry, 'webhookDelivery'>;
}

const DISPATCH_PAGE = 1000;
/** Batches one claim may send before the endpoint is released for others' turn (fairness across endpoints). */
const MAX_BATCHES_PER_CLAIM = 20;
const EXCERPT_BYTES = 4096;
const iso = (ms: number) => new Date(ms).toISOString();

function capExcerpt(text: string | null): string | null {
  if (text === null) return null;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= EXCERPT_BYTES ? text : bytes.subarray(0, EXCERPT_BYTES).toString('utf8');
}

const succeeded = (r: SendResult) => r.status !== null && r.status >= 200 && r.status < 300;

/** The metrics' outcome label: success, the status class of a refusal (http_4xx), or the sender's error code. */
const outcomeLabel = (r: SendResult) =>
  succeeded(r) ? 'success' : r.status !== null ? `http_${Math.floor(r.status / 100)}xx` : (r.error ?? 'error');

function attemptOf(n: number, at: number, r: SendResult): AttemptRecord {
  const error = succeeded(r)
    ? null
    : r.error !== null
      ? r.errorDetail
        ? `${r.error}: ${r.errorDetail}`
        : r.error
      : `HTTP ${r.status}`;
  return {
    n,
    at: iso(at),
    status: r.status,
    latencyMs: Math.round(r.latencyMs),
    excerpt: capExcerpt(r.responseExcerpt),
    error,
  };
}

export class WebhookRunner {
  /** This process's name on the leases it holds. */
  readonly owner = `proc_${newId()}`;
  private timer: NodeJS.Timeout | undefined;
  private dispatching: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Whether the last dispatcher round found an enabled endpoint: only then is a commit worth a round. */
  private active = false;
  private readonly slots = new Set<Promise<void>>();
  private lastFailureLog = 0;

  constructor(
    private readonly deps: WebhookRunnerDeps,
    private readonly options: WebhookRunnerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.options.pollMs);
    this.timer.unref();
    this.nudge();
  }

  /**
   * A dispatcher round now, or right after the current one, then senders for what is due. The dispatcher runs apart
   * from the senders, so an endpoint draining a long backlog never delays the fan-out to the others.
   */
  nudge(): void {
    if (this.stopped) return;
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = this.dispatchAll()
      .catch((error: unknown) => this.failure('webhook dispatch failed', error))
      .finally(() => {
        this.dispatching = undefined;
        this.addSlot();
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /**
   * A failure of the loop itself (the database unavailable, a secret that no longer decrypts): logged at most once a
   * minute, since every poll would repeat it while it lasts.
   */
  private failure(message: string, error: unknown, context: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (now - this.lastFailureLog < 60_000) return;
    this.lastFailureLog = now;
    this.deps.warn({ ...context, err: { message: (error as Error).message } }, message);
  }

  /** After a local commit that made events: a round soon, if any endpoint could want them (cheap otherwise). */
  afterCommit(): void {
    if (this.active) this.nudge();
  }

  /** No new claims; in-flight sends finish, their outcomes are written and the leases released. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.dispatching;
    while (this.slots.size > 0) await Promise.all([...this.slots]);
  }

  /** Fans out every event committed so far (another process may hold the cursor: then it does it). */
  private async dispatchAll(): Promise<void> {
    for (;;) {
      const round = await this.deps.webhooks.dispatch(
        DISPATCH_PAGE,
        this.deps.clock.now().toISOString(),
        planDeliveries,
      );
      if (round) this.active = round.targets > 0;
      if (!round?.more || this.stopped) return;
    }
  }

  /**
   * One more sender, up to the limit. A sender that finds an endpoint to claim starts another, so an idle process
   * costs one claim query per round, and a busy one fills its slots.
   */
  private addSlot(): void {
    if (this.stopped || this.slots.size >= this.options.parallel) return;
    const slot: Promise<void> = this.slot()
      .catch((error: unknown) => this.failure('webhook sender failed', error))
      .finally(() => this.slots.delete(slot));
    this.slots.add(slot);
  }

  private async slot(): Promise<void> {
    while (!this.stopped) {
      const now = this.deps.clock.now().getTime();
      const [endpoint] = await this.deps.webhooks.claim(this.owner, iso(now), iso(now + this.options.leaseMs), 1);
      if (!endpoint) return;
      this.addSlot();
      await this.drain(endpoint);
    }
  }

  private async drain(endpoint: ClaimedEndpoint): Promise<void> {
    const { webhooks, transport, clock } = this.deps;
    const renew = setInterval(() => {
      void webhooks
        .renew(endpoint.id, this.owner, iso(clock.now().getTime() + this.options.leaseMs))
        .catch(() => undefined);
    }, this.options.leaseMs / 3);
    let failingSince = endpoint.failingSince;
    try {
      const signer = endpointSigner(this.deps.keyring, endpoint, clock.now(), this.deps.wallClock ?? Date.now);
      // Outcomes are written while the next batch is sent, one write after another (a later write must never land
      // before an earlier one: a success would clear the backoff a failure set).
      let written: Promise<boolean> = Promise.resolve(true);
      let after: string | undefined;
      for (let batches = 0; ; batches++) {
        const batch = await webhooks.queued(endpoint.id, after, this.options.batchSize);
        const sent: { id: string; attempt: AttemptRecord }[] = [];
        let failed: BatchOutcome['failed'];
        for (const d of batch) {
          if (this.stopped) break;
          const at = clock.now().getTime();
          const result = await transport.send(endpoint.url, signer.headers(d.eventId, d.body), d.body);
          this.deps.telemetry?.webhookDelivery(outcomeLabel(result), result.latencyMs / 1000);
          const attempt = attemptOf(d.attempts + 1, at, result);
          if (succeeded(result)) {
            sent.push({ id: d.id, attempt });
            after = d.seq;
            continue;
          }
          failingSince ??= attempt.at;
          const retryAt = clock.now().getTime() + retryDelayMs(attempt.n);
          failed = { id: d.id, attempt, nextAttemptAt: iso(retryAt), failingSince };
          break;
        }
        if (sent.length > 0 && !failed) failingSince = null;
        const now = clock.now().getTime();
        // After MAX_BATCHES_PER_CLAIM the endpoint goes back to the pool, behind the ones waiting longest.
        const done = batch.length === 0 || failed !== undefined || this.stopped || batches >= MAX_BATCHES_PER_CLAIM;
        const outcome: BatchOutcome = {
          webhookId: endpoint.id,
          leaseOwner: this.owner,
          at: iso(now),
          succeeded: sent,
          ...(failed ? { failed } : {}),
          ...(failed && now - Date.parse(failed.failingSince) >= this.options.retryHours * 3_600_000
            ? { disable: this.disabling(endpoint, failed, now) }
            : {}),
          leaseUntil: done ? null : iso(now + this.options.leaseMs),
        };
        const previous = written;
        written = previous.then((kept) => (kept ? webhooks.record(outcome) : false));
        // Observed below (or by the catch's release); never an unhandled rejection if a send throws meanwhile.
        written.catch(() => undefined);
        if (done) {
          await written;
          return;
        }
        if (!(await previous)) return;
      }
    } catch (error) {
      this.failure('webhook delivery failed', error, { webhookId: endpoint.id });
      // Leave the endpoint to the next round rather than to the lease's end.
      await webhooks
        .record({
          webhookId: endpoint.id,
          leaseOwner: this.owner,
          at: iso(clock.now().getTime()),
          succeeded: [],
          leaseUntil: null,
        })
        .catch(() => undefined);
    } finally {
      clearInterval(renew);
    }
  }

  /**
   * A tenant's endpoint: an audit entry and a `webhook.disabled` event, in the transaction that disables it. The
   * operator's endpoints have no tenant to write them to: a warning in the log (ADR 0020).
   */
  private disabling(endpoint: ClaimedEndpoint, failed: NonNullable<BatchOutcome['failed']>, now: number) {
    const reason =
      `deliveries failed for ${this.options.retryHours} hours (last: ${failed.attempt.error ?? 'no response'})`.slice(
        0,
        500,
      );
    const data = {
      id: endpoint.id,
      url: endpoint.url,
      disabledAt: iso(now),
      reason,
      failingSince: failed.failingSince,
      deliveryId: failed.id,
    };
    return {
      reason,
      onDisable: async (tx: Repositories) => {
        if (endpoint.tenantId === null) {
          this.deps.warn({ webhookId: endpoint.id, reason }, 'operator webhook disabled');
          return;
        }
        await recordAudit(tx, new Date(now), {
          tenantId: endpoint.tenantId,
          actor: 'system:webhooks',
          action: 'webhook.disabled',
          target: endpoint.id,
          data: { url: endpoint.url, reason, failingSince: failed.failingSince },
        });
        await tx.events.append([newEvent(newId(), new Date(now), endpoint.tenantId, 'webhook.disabled', data)]);
      },
    };
  }
}
