// Security plan §4.5 L1: every tenant at the same rate, open loop; then the ledgers are reconciled.
import type { Client, Target } from './client.ts';
import { reconcile } from './reconcile.ts';
import { fmt, opFigures, reconcileCriteria, type ScenarioResult, timeline, trafficFigures } from './report.ts';
import { percentile, Stats } from './stats.ts';
import { openLoop, prepareTenants } from './traffic.ts';

export interface L1Options {
  readonly tenants: number;
  /** Requests per second per tenant. */
  readonly rate: number;
  readonly seconds: number;
  readonly seedUsers?: number;
  readonly seed?: number;
  /** p99 bar in ms (the plan's: 500). */
  readonly p99Ms?: number;
  readonly label?: string;
}

/** L1: every tenant at the same rate, open loop; zero 5xx and transport errors, p99 under the bar, no lost write. */
export async function runL1(client: Client, target: Target, o: L1Options): Promise<ScenarioResult> {
  const { ledgers, runId } = await prepareTenants(client, target, o.tenants, o.seedUsers ?? 150, 'Load');
  const traffic = ledgers.map((ledger) => ({ ledger, stats: new Stats(), rate: o.rate }));
  const run = await openLoop(client, traffic, o.seconds, { seed: o.seed ?? 1, runId });
  const all = traffic.reduce((acc, t) => acc.merge(t.stats), new Stats());
  const recs = [];
  for (const l of ledgers) recs.push(await reconcile(client, l));
  const p99 = percentile(all.latencies, 0.99);
  const bar = o.p99Ms ?? 500;
  return {
    scenario: o.label ?? 'L1',
    criteria: [
      { name: 'zero 5xx', pass: all.serverErrors === 0, detail: `${all.serverErrors} of ${all.requests}` },
      { name: 'zero transport errors', pass: all.transportErrors === 0, detail: `${all.transportErrors}` },
      {
        name: 'no throttling or unexpected statuses',
        pass: all.throttled === 0 && all.unexpected === 0,
        detail: `${all.throttled} × 429, ${all.unexpected} unexpected${all.unexpectedSamples.length ? `: ${all.unexpectedSamples.join(' | ')}` : ''}`,
      },
      { name: 'reads agree with acknowledged writes', pass: all.staleReads === 0, detail: `${all.staleReads} stale` },
      { name: `p99 < ${bar} ms`, pass: p99 < bar, detail: fmt(p99) },
      ...reconcileCriteria(recs, ledgers),
    ],
    figures: {
      tenants: o.tenants,
      'offered req/s per tenant': o.rate,
      seconds: Number(run.seconds.toFixed(1)),
      'max in flight': run.maxInFlight,
      ...trafficFigures('all', all, run.seconds),
      'p99 ms per twelfth of the run': timeline(all),
      ...opFigures(all),
    },
    ledgers,
  };
}
