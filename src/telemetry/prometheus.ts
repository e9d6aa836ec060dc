// The Telemetry port on prom-client (ADR 0033): one registry per app, label children cached so a request costs a
// map lookup and two increments, and the gauges that are cheaper to read at scrape time than to keep current.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RateLimitScope, RequestSample, Telemetry } from '../core/telemetry/ports.ts';

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
  private readonly requests: Counter<string>;
  private readonly latency: Histogram<string>;
  private readonly scim: Counter<string>;
  private readonly authFailures: Counter<'surface' | 'reason'>;
  private readonly rateLimits: Counter<'scope'>;
  private readonly signIns: Counter<'outcome' | 'reason'>;
  private readonly deliveries: Counter<'outcome'>;
  private readonly deliveryLatency: Histogram<'outcome'>;
  private readonly commitBatch: Histogram<string>;
  /** Label children by their joined values: prom-client would hash the label object on every call. */
  private readonly children = new Map<string, { count: Counter<string>; time: Histogram<string> }>();

  constructor(options: { readonly tenantLabel: boolean }) {
    this.tenantLabel = options.tenantLabel;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const httpLabels = ['route_class', 'method', 'status_class', ...(this.tenantLabel ? ['tenant'] : [])];
    this.requests = new Counter({
      name: 'roster_http_requests_total',
      help: 'HTTP requests answered, by route class, method and status class',
      labelNames: httpLabels,
      registers,
    });
    this.latency = new Histogram({
      name: 'roster_http_request_duration_seconds',
      help: 'Time from the request arriving to the response sent, by route class, method and status class',
      labelNames: httpLabels,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.scim = new Counter({
      name: 'roster_scim_operations_total',
      help: 'Authenticated SCIM requests by operation, resource type and outcome (success, a scimType, or a status class)',
      labelNames: ['operation', 'resource_type', 'outcome'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'roster_auth_failures_total',
      help: 'Refused credentials by surface and reason',
      labelNames: ['surface', 'reason'],
      registers,
    });
    this.rateLimits = new Counter({
      name: 'roster_rate_limited_total',
      help: 'Requests refused with 429 by the bucket that refused them',
      labelNames: ['scope'],
      registers,
    });
    this.signIns = new Counter({
      name: 'roster_signins_total',
      help: 'Finished upstream sign-ins by outcome and reason (how the subject was found, or the refusal reason)',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'roster_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (success, or the failure class)',
      labelNames: ['outcome'],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'roster_webhook_delivery_duration_seconds',
      help: 'Time one webhook delivery attempt took, by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.commitBatch = new Histogram({
      name: 'roster_store_group_commit_size',
      help: 'SQLite group commit: write transactions carried by one COMMIT',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
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
    const sc = statusClass(sample.status);
    const tenant = this.tenantLabel ? (sample.tenantId ?? '') : undefined;
    const key = `${sample.routeClass} ${sample.method} ${sc} ${tenant ?? ''}`;
    let child = this.children.get(key);
    if (!child) {
      const values = [sample.routeClass, sample.method, sc, ...(tenant === undefined ? [] : [tenant])];
      child = {
        count: this.requests.labels(...values) as unknown as Counter<string>,
        time: this.latency.labels(...values) as unknown as Histogram<string>,
      };
      this.children.set(key, child);
    }
    child.count.inc();
    child.time.observe(sample.seconds);
  }

  scimOperation(operation: string, resourceType: string, outcome: string): void {
    this.scim.inc({ operation, resource_type: resourceType, outcome });
  }

  authFailure(surface: 'scim' | 'admin' | 'metrics', reason: string): void {
    this.authFailures.inc({ surface, reason });
  }

  rateLimited(scope: RateLimitScope): void {
    this.rateLimits.inc({ scope });
  }

  signIn(outcome: 'signed_in' | 'refused', reason: string): void {
    this.signIns.inc({ outcome, reason });
  }

  webhookDelivery(outcome: string, seconds: number): void {
    this.deliveries.inc({ outcome });
    this.deliveryLatency.observe({ outcome }, seconds);
  }

  groupCommit(size: number): void {
    this.commitBatch.observe(size);
  }
}
