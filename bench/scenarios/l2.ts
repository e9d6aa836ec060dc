// Security plan §4.5 L2: one tenant floods at a multiple of its rate limit while the others run as usual.
import type { Client, Target } from './client.ts';
import { reconcile } from './reconcile.ts';
import { fmt, reconcileCriteria, type ScenarioResult, timeline, trafficFigures } from './report.ts';
import { percentile, Stats } from './stats.ts';
import { openLoop, prepareTenants } from './traffic.ts';

export interface L2Options {
  readonly tenants: number;
  readonly rate: number;
  /** The per-tenant limit the server runs with (requests/s and burst). */
  readonly limit: { readonly rate: number; readonly burst: number };
  /** Offered load of the flooding tenant, as a multiple of its limit (the plan's: 5). */
  readonly factor?: number;
  readonly seconds: number;
  readonly seedUsers?: number;
  readonly seed?: number;
  readonly p99Ms?: number;
  /** Processes sharing the limit (with per-process limits each grants its own). */
  readonly limitCopies?: number;
}

/** L2: one tenant floods at `factor` × its limit; it gets 429 + Retry-After, the others are served as usual. */
export async function runL2(client: Client, target: Target, o: L2Options): Promise<ScenarioResult> {
  const { ledgers, runId } = await prepareTenants(client, target, o.tenants, o.seedUsers ?? 120, 'Overload');
  const factor = o.factor ?? 5;
  // Let the seeding's requests drain from the buckets before the clock starts.
  await new Promise((r) => setTimeout(r, Math.ceil((o.limit.burst / o.limit.rate) * 1000)));
  const traffic = ledgers.map((ledger, i) => ({
    ledger,
    stats: new Stats(),
    rate: i === 0 ? o.limit.rate * factor : o.rate,
  }));
  const run = await openLoop(client, traffic, o.seconds, { seed: o.seed ?? 2, runId });
  const flooder = traffic[0]!.stats;
  const others = traffic.slice(1).reduce((acc, t) => acc.merge(t.stats), new Stats());
  const recs = [];
  for (const l of ledgers) recs.push(await reconcile(client, l));
  const bar = o.p99Ms ?? 500;
  const othersP99 = percentile(others.latencies, 0.99);
  // Requests the flooder got through: at most the burst plus the rate over the run (per copy of the limit), with
  // a tenth for the lease batching and the time the last requests took to be answered.
  const copies = o.limitCopies ?? 1;
  const allowance = copies * (o.limit.burst + o.limit.rate * run.seconds) * 1.1;
  return {
    scenario: 'L2',
    criteria: [
      {
        name: 'flooding tenant gets 429 with an integer Retry-After',
        pass: flooder.throttled > 0 && flooder.badRetryAfter === 0,
        detail: `${flooder.throttled} × 429 of ${flooder.requests}, ${flooder.badRetryAfter} without a valid Retry-After`,
      },
      {
        name: 'flooding tenant held to its limit',
        pass: flooder.succeeded <= allowance,
        detail: `${flooder.succeeded} served ≤ ${Math.round(allowance)} (${o.limit.rate}/s, burst ${o.limit.burst}${copies > 1 ? `, × ${copies}` : ''})`,
      },
      {
        name: 'other tenants 100 % success',
        pass: others.succeeded === others.requests && others.requests > 0,
        detail: `${others.succeeded} of ${others.requests}${others.unexpectedSamples.length ? `: ${others.unexpectedSamples.join(' | ')}` : ''}`,
      },
      { name: `other tenants p99 < ${bar} ms`, pass: othersP99 < bar, detail: fmt(othersP99) },
      {
        name: 'zero 5xx, zero transport errors',
        pass: flooder.serverErrors + others.serverErrors + flooder.transportErrors + others.transportErrors === 0,
        detail: `${flooder.serverErrors + others.serverErrors} 5xx, ${flooder.transportErrors + others.transportErrors} transport`,
      },
      ...reconcileCriteria(recs, ledgers),
    ],
    figures: {
      tenants: o.tenants,
      'limit per tenant': `${o.limit.rate}/s burst ${o.limit.burst}`,
      'flooder offered req/s': o.limit.rate * factor,
      seconds: Number(run.seconds.toFixed(1)),
      'flooder served req/s': Number((flooder.succeeded / run.seconds).toFixed(1)),
      ...trafficFigures('flooder', flooder, run.seconds),
      ...trafficFigures('others', others, run.seconds),
      'others p99 ms per twelfth of the run': timeline(others),
    },
    ledgers,
  };
}
