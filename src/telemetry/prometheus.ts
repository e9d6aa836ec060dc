// The Telemetry port on prom-client (ADR 0033): one registry per app; the request path adds to plain numbers
// (families.ts), and the gauges that are cheaper to read at scrape time than to keep current are read then.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { RateLimitScope, RequestSample, Telemetry } from '../core/telemetry/ports.ts';
import { CounterFamily, HistogramFamily, keyOf } from './families.ts';

/** What the scrape reads from the store, when it has it (pool: PostgreSQL only). */
export interface ScrapeSources {
  readonly pool?: () => { total: number; idle: number; waiting: number; max: number } | undefined;
  /** Undelivered webhook deliveries, counted up to `cap` (a bounded index scan, never the whole backlog). */
  readonly webhookQueueDepth?: (cap: number) => Promise<number>;
}

/** The queue depth gauge saturates here: enough to alert on, bounded in cost per scrape. */
export const QUEUE_DEPTH_CAP = 10_000;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

export class PrometheusTelemetry implements Telemetry {
  readonly registry = new Registry();
  private readonly tenantLabel: boolean;
  private readonly requests: CounterFamily;
  private readonly latency: HistogramFamily;
  private readonly scim: CounterFamily;
  private readonly authFailures: CounterFamily;
  private readonly rateLimits: CounterFamily;
  private readonly signIns: CounterFamily;
  private readonly deliveries: CounterFamily;
  private readonly deliveryLatency: HistogramFamily;
  private readonly commitBatch: HistogramFamily;

  constructor(options: { readonly tenantLabel: boolean }) {
    this.tenantLabel = options.tenantLabel;
    const registry = this.registry;
    collectDefaultMetrics({ register: registry });
    const httpLabels = ['route_class', 'method', 'status_class', ...(this.tenantLabel ? ['tenant'] : [])];
    this.requests = new CounterFamily(
      'roster_http_requests_total',
      'HTTP requests answered, by route class, method and status class',
      httpLabels,
      registry,
    );
    this.latency = new HistogramFamily(
      'roster_http_request_duration_seconds',
      'Time from the request arriving to the response sent, by route class, method and status class',
      httpLabels,
      registry,
      LATENCY_BUCKETS,
    );
    this.scim = new CounterFamily(
      'roster_scim_operations_total',
      'Authenticated SCIM requests by operation, resource type and outcome (success, a scimType, or a status class)',
      ['operation', 'resource_type', 'outcome'],
      registry,
    );
    this.authFailures = new CounterFamily(
      'roster_auth_failures_total',
      'Refused credentials by surface and reason',
      ['surface', 'reason'],
      registry,
    );
    this.rateLimits = new CounterFamily(
      'roster_rate_limited_total',
      'Requests refused with 429 by the bucket that refused them',
      ['scope'],
      registry,
    );
    this.signIns = new CounterFamily(
      'roster_signins_total',
      'Finished upstream sign-ins by outcome and reason (how the subject was found, or the refusal reason)',
      ['outcome', 'reason'],
      registry,
    );
    this.deliveries = new CounterFamily(
      'roster_webhook_deliveries_total',
      'Webhook delivery attempts by outcome (success, or the failure class)',
      ['outcome'],
      registry,
    );
    this.deliveryLatency = new HistogramFamily(
      'roster_webhook_delivery_duration_seconds',
      'Time one webhook delivery attempt took, by outcome',
      ['outcome'],
      registry,
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    this.commitBatch = new HistogramFamily(
      'roster_store_group_commit_size',
      'SQLite group commit: write transactions carried by one COMMIT',
      [],
      registry,
      [1, 2, 4, 8, 16, 32, 64, 128],
    );
  }

  /** Gauges read when scraped: the store's pool and the webhook backlog. */
  addScrapeSources(sources: ScrapeSources): void {
    const registers = [this.registry];
    const { pool, webhookQueueDepth } = sources;
    if (pool) {
      new Gauge({
        name: 'roster_store_pool_connections',
        help: 'PostgreSQL pool: connections by state (total, idle, max) and requests waiting for one (waiting)',
        labelNames: ['state'],
        registers,
        collect() {
          const stats = pool();
          if (!stats) return;
          for (const [state, value] of Object.entries(stats)) this.set({ state }, value);
        },
      });
    }
    if (webhookQueueDepth) {
      new Gauge({
        name: 'roster_webhook_queue_depth',
        help: `Webhook deliveries not yet delivered (all endpoints), counted up to ${QUEUE_DEPTH_CAP}`,
        registers,
        async collect() {
          this.set(await webhookQueueDepth(QUEUE_DEPTH_CAP));
        },
      });
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  request(sample: RequestSample): void {
    const values = [sample.routeClass, sample.method, statusClass(sample.status)];
    if (this.tenantLabel) values.push(sample.tenantId ?? '');
    const key = keyOf(values);
    this.requests.inc(values, key);
    this.latency.observe(values, sample.seconds, key);
  }

  scimOperation(operation: string, resourceType: string, outcome: string): void {
    this.scim.inc([operation, resourceType, outcome]);
  }

  authFailure(surface: 'scim' | 'admin' | 'metrics', reason: string): void {
    this.authFailures.inc([surface, reason]);
  }

  rateLimited(scope: RateLimitScope): void {
    this.rateLimits.inc([scope]);
  }

  signIn(outcome: 'signed_in' | 'refused', reason: string): void {
    this.signIns.inc([outcome, reason]);
  }

  webhookDelivery(outcome: string, seconds: number): void {
    this.deliveries.inc([outcome]);
    this.deliveryLatency.observe([outcome], seconds);
  }

  groupCommit(size: number): void {
    this.commitBatch.observe([], size);
  }
}
