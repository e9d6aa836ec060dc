// A scenario's outcome: PASS/FAIL criteria and figures, the shared figure and criterion builders, and printing.
import type { Ledger } from './ledger.ts';
import type { Reconciliation } from './reconcile.ts';
import { percentile, type Stats } from './stats.ts';

export interface Criterion {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly criteria: readonly Criterion[];
  readonly figures: Record<string, number | string>;
  /** The client ledgers the run reconciled against (L1, L2). */
  readonly ledgers?: readonly Ledger[];
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

export function trafficFigures(prefix: string, s: Stats, seconds: number): Record<string, number | string> {
  return {
    [`${prefix} requests`]: s.requests,
    [`${prefix} req/s`]: Number((s.requests / seconds).toFixed(1)),
    [`${prefix} p50`]: fmt(percentile(s.latencies, 0.5)),
    [`${prefix} p99`]: fmt(percentile(s.latencies, 0.99)),
    [`${prefix} statuses`]: [...s.statuses.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k || 'transport'}:${v}`)
      .join(' '),
  };
}

/** p99 per window of the run, to tell a steady slowdown (growth) from a stall (one bad window). */
export function timeline(s: Stats, windows = 12): string {
  if (s.ends.length === 0) return '';
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const e of s.ends) {
    first = Math.min(first, e);
    last = Math.max(last, e);
  }
  const width = Math.max(1, (last - first) / windows);
  const buckets: number[][] = Array.from({ length: windows }, () => []);
  s.ends.forEach((e, i) => {
    buckets[Math.min(windows - 1, Math.floor((e - first) / width))]!.push(s.latencies[i]!);
  });
  return buckets.map((b) => percentile(b, 0.99).toFixed(0)).join(' ');
}

export function opFigures(s: Stats): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [op, list] of [...s.byOp.entries()].sort()) {
    out[`  ${op}`] = `${list.length} req, p50 ${fmt(percentile(list, 0.5))}, p99 ${fmt(percentile(list, 0.99))}`;
  }
  return out;
}

export function reconcileCriteria(recs: readonly Reconciliation[], ledgers: readonly Ledger[]): Criterion[] {
  const lost = recs.reduce((a, r) => a + r.lostWrites, 0);
  const phantoms = recs.reduce((a, r) => a + r.phantoms, 0);
  const acknowledged = ledgers.reduce((a, l) => a + l.acknowledged, 0);
  const uncertain = ledgers.reduce((a, l) => a + l.uncertain.size + l.uncertainUserNames.size, 0);
  const problems = recs.flatMap((r) => r.problems).slice(0, 5);
  return [
    {
      name: 'zero lost writes (every acknowledged create/PATCH/DELETE/membership change reflected exactly)',
      pass: lost === 0 && phantoms === 0,
      detail: `${acknowledged} acknowledged writes; ${lost} lost, ${phantoms} phantom; ${recs.reduce((a, r) => a + r.users, 0)} users, ${recs.reduce((a, r) => a + r.memberships, 0)} memberships checked; ${uncertain} unacknowledged left out${problems.length ? `; ${problems.join('; ')}` : ''}`,
    },
  ];
}

export function printResult(r: ScenarioResult, write: (s: string) => void = (s) => process.stdout.write(s)): boolean {
  write(`\n${r.scenario}\n`);
  for (const [k, v] of Object.entries(r.figures)) write(`  ${k}: ${v}\n`);
  for (const c of r.criteria) write(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name} — ${c.detail}\n`);
  return r.criteria.every((c) => c.pass);
}
