// What `npm run bench` prints and writes: a table per store pass, the N-process scaling with its CPU split, the
// PostgreSQL-over-SQLite ratios, and the targets judged from the same run.
import { cpus } from 'node:os';
import type { LoadResult } from './load.ts';
import type { SigninResult } from './signin.ts';
import {
  type AlternatingRatio,
  type PassFigures,
  storeComparison,
  type TargetLine,
  type WorkloadFigure,
} from './targets.ts';

/** ops/s and where the CPU of one operation went: Roster (all processes), PostgreSQL, the load client. */
export interface CpuSplit {
  readonly opsPerSec: number;
  readonly rosterCpuMicros: number | undefined;
  readonly postgresCpuMicros: number | undefined;
  readonly clientCpuMicros: number | undefined;
}

export interface ScalingRow {
  readonly name: string;
  readonly processes: number;
  /** ops/s with N processes over ops/s with one, same run. */
  readonly ratio: number;
  readonly one: CpuSplit;
  readonly many: CpuSplit;
}

export interface PassReport {
  readonly store: string;
  readonly users: number;
  readonly processes: number;
  readonly results: LoadResult[];
  readonly cpuPerOp: Map<string, number>;
  readonly pgCpuPerOp: Map<string, number>;
  readonly clientCpuPerOp: Map<string, number>;
  /** Roster's single-process workloads by row name (the bare servers are not among them). */
  readonly workloads: Record<string, WorkloadFigure>;
  readonly paging: { mode: string; pages: number; msPerPage: number }[];
  readonly membership: { op: string; p50ms: number; lastOverFirst: number }[];
  readonly scaling: ScalingRow[];
  ceilingOpsPerSec: number;
  refreshVsSigning?: number | undefined;
  rss?: { rssMb: number; peakMb: number };
  signin?: { signMicros: number; signinRows: number; purgeRows: number };
  /** The unmeasured reads served before the first workload (`--warmup`). */
  warmup?: { ops: number; seconds: number; rosterCpuMicros: number | undefined };
}

export interface RunSettings {
  readonly users: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly processes: number;
  readonly machine: string;
}

export function passFigures(p: PassReport): PassFigures {
  return {
    store: p.store,
    users: p.users,
    ceilingOpsPerSec: p.ceilingOpsPerSec,
    workloads: p.workloads,
    paging: p.paging,
    membership: p.membership,
    refreshVsSigning: p.refreshVsSigning,
    peakRssMb: p.rss?.peakMb,
    scaling: p.scaling,
  };
}

const round = (x: number | undefined) => (x === undefined ? '' : Math.round(x));
const sumCpu = (s: CpuSplit) => (s.rosterCpuMicros ?? 0) + (s.postgresCpuMicros ?? 0) + (s.clientCpuMicros ?? 0);

function passRows(p: PassReport) {
  const ceiling = p.ceilingOpsPerSec;
  const vsSigning = (r: LoadResult) => (r as Partial<SigninResult>).vsSigning;
  return p.results.map((r) => {
    // Paging and the sync are sequential walks (users/s, total s), not closed-loop request rates.
    const walk = /^(page|Entra)/.test(r.name);
    return {
      workload: r.name,
      'ops/s': Math.round(r.opsPerSec),
      'p50 ms': Number(r.p50ms.toFixed(2)),
      'p99 ms': Number(r.p99ms.toFixed(2)),
      'total s': walk ? Number(r.seconds.toFixed(2)) : '',
      'vs ceiling':
        vsSigning(r) !== undefined
          ? `${vsSigning(r)!.toFixed(1)}× signing`
          : r.opsPerSec > 0 && ceiling > 0 && !walk
            ? `${((r.opsPerSec / ceiling) * 100).toFixed(0)} %`
            : '',
      'server CPU µs/op': p.cpuPerOp.has(r.name)
        ? Math.round(p.cpuPerOp.get(r.name)!)
        : ((r as Partial<SigninResult>).rosterCpuMicros?.toFixed(0) ?? ''),
      ...(p.store === 'postgres' ? { 'PostgreSQL CPU µs/op': round(p.pgCpuPerOp.get(r.name)) } : {}),
      'client CPU µs/op': round(p.clientCpuPerOp.get(r.name)),
      errors: r.errors,
    };
  });
}

function scalingRows(p: PassReport) {
  const cores = cpus().length;
  return p.scaling.map((s) => ({
    workload: s.name,
    '1 process ops/s': Math.round(s.one.opsPerSec),
    [`${s.processes} processes ops/s`]: Math.round(s.many.opsPerSec),
    scaling: `${s.ratio.toFixed(2)}×`,
    'Roster CPU µs/op (1 → N)': `${round(s.one.rosterCpuMicros)} → ${round(s.many.rosterCpuMicros)}`,
    ...(p.store === 'postgres'
      ? { 'PostgreSQL CPU µs/op (1 → N)': `${round(s.one.postgresCpuMicros)} → ${round(s.many.postgresCpuMicros)}` }
      : {}),
    'client CPU µs/op (1 → N)': `${round(s.one.clientCpuMicros)} → ${round(s.many.clientCpuMicros)}`,
    // If all the cores did nothing but this work, N processes could not go faster than this.
    [`CPU-bound max ops/s on ${cores} cores`]: sumCpu(s.many) > 0 ? Math.round((cores * 1e6) / sumCpu(s.many)) : '',
  }));
}

function comparisonRows(passes: readonly PassReport[]) {
  const sqlite = passes.find((p) => p.store === 'sqlite');
  const postgres = passes.find((p) => p.store === 'postgres');
  if (!sqlite || !postgres) return [];
  return storeComparison(passFigures(sqlite), passFigures(postgres)).map((c) => ({
    workload: c.name,
    'SQLite ops/s': Math.round(sqlite.workloads[c.name]!.opsPerSec),
    'PostgreSQL ops/s': Math.round(postgres.workloads[c.name]!.opsPerSec),
    'PG / SQLite ops/s': `${(c.opsRatio * 100).toFixed(0)} %`,
    'SQLite Roster CPU µs/op': round(sqlite.workloads[c.name]!.rosterCpuMicros),
    'PG Roster CPU µs/op': round(postgres.workloads[c.name]!.rosterCpuMicros),
    'PG / SQLite Roster CPU': c.cpuRatio === undefined ? '' : `${c.cpuRatio.toFixed(2)}×`,
    'PostgreSQL server CPU µs/op': round(postgres.pgCpuPerOp.get(c.name)),
  }));
}

/** A workload's PostgreSQL-over-SQLite medians from alternating slices, with how many rounds PG's CPU was lower. */
export type AlternatingRow = AlternatingRatio & { readonly pgLowerInRounds: number };

export function printReport(
  passes: readonly PassReport[],
  targets: readonly TargetLine[],
  s: RunSettings,
  alternating: readonly AlternatingRow[] = [],
): void {
  for (const p of passes) {
    console.log(
      `\nRoster bench — store ${p.store}, ${p.users} users, ${p.processes} Roster process(es), concurrency ${s.concurrency}, ${s.seconds} s per workload\n${s.machine}`,
    );
    console.table(passRows(p));
    if (p.signin)
      console.log(
        `Sign-in rows: "vs ceiling" is Roster CPU per op over the jose RS256 signatures Roster must make for it, measured in this run just before each workload (first: ${p.signin.signMicros.toFixed(0)} µs; see the JSON) (target: refresh grant ≤ 3×).`,
      );
    if (p.rss)
      console.log(
        `Roster RSS at the end: ${p.rss.rssMb} MB over ${p.processes} process(es) (largest peak ${p.rss.peakMb} MB)`,
      );
    if (p.scaling.length > 0) {
      console.log(
        `\n${p.store}: one Roster process, then ${p.processes} (the client's connections shared out among them); CPU per operation summed over all Roster processes`,
      );
      console.table(scalingRows(p));
      console.log(
        `CPU-bound max = ${cpus().length} cores × 10⁶ / (Roster + PostgreSQL + client CPU µs/op with ${p.processes} processes): what these cores could serve doing nothing else. Scaling ≥ ${(0.8 * p.processes).toFixed(1)}× needs ${p.processes} cores for Roster alone besides the database's and the client's.`,
      );
    }
  }
  const comparison = comparisonRows(passes);
  if (comparison.length > 0) {
    console.log('\nPostgreSQL against SQLite, one process each, same client, same workloads');
    console.table(comparison);
  }
  if (alternating.length > 0) {
    console.log('\nPostgreSQL against SQLite in alternating slices (bench/alternate.ts): medians over the rounds');
    console.table(
      alternating.map((a) => ({
        workload: a.name,
        'PG / SQLite ops/s': `${(a.opsRatio * 100).toFixed(0)} %`,
        'PG / SQLite Roster CPU': `${a.cpuRatio.toFixed(2)}×`,
        'lower PG Roster CPU in rounds': a.pgLowerInRounds,
      })),
    );
  }
  if (targets.length > 0) {
    console.log('\nIssue 14 targets, judged from this run');
    console.table(targets.map((t) => ({ ...t, met: t.met ? 'met' : 'not met' })));
  }
}

export function reportJson(
  passes: readonly PassReport[],
  targets: readonly TargetLine[],
  s: RunSettings,
  alternating?: unknown,
) {
  return {
    ...s,
    passes: passes.map((p) => ({
      store: p.store,
      users: p.users,
      processes: p.processes,
      rss: p.rss,
      ...(p.warmup ? { warmup: p.warmup } : {}),
      results: p.results,
      cpuMicrosPerOp: Object.fromEntries(p.cpuPerOp),
      ...(p.store === 'postgres' ? { postgresCpuMicrosPerOp: Object.fromEntries(p.pgCpuPerOp) } : {}),
      clientCpuMicrosPerOp: Object.fromEntries(p.clientCpuPerOp),
      ...(p.scaling.length > 0 ? { scaling: p.scaling } : {}),
      ...(p.signin
        ? { rs256SignMicros: p.signin.signMicros, signinRows: p.signin.signinRows, purgeRows: p.signin.purgeRows }
        : {}),
    })),
    comparison: comparisonRows(passes),
    ...(alternating ? { alternating } : {}),
    targets,
  };
}
