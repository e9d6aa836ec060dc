// Short alternating slices of Entra's user requests over HTTP against two Roster processes: two builds on one store
// (`before`), or one build on SQLite and on PostgreSQL (`store: 'both'`), so that the two compare on the same machine
// state. The CLI is bench/http-ab.ts; `npm run bench --store both` runs the store comparison too.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import type { StoreLocation } from '../src/store/open-store.ts';
import { type PostgresServer, startPostgres } from '../test/support/postgres-server.ts';
import { median } from './ab-builds.ts';
import { benchScimEnv } from './bench-store.ts';
import { BARE_NODE_HTTP, bundledRoster, freeOrigins, startBare, startRosters, stopChildren } from './children.ts';
import { type RequestSpec, runLoad } from './load.ts';
import { postgresCpuSeconds, summedCpuSeconds } from './proc.ts';
import { seed } from './seed.ts';
import { type UserRequests, userRequests } from './user-requests.ts';

interface Slice {
  opsPerSec: number;
  rosterMicros: number;
  postgresMicros: number | undefined;
}

const WORKLOADS = ['get', 'lookup', 'post', 'patch'] as const;
type Workload = (typeof WORKLOADS)[number];
interface Build {
  /** 'after' and 'before' (two builds), or 'postgres' and 'sqlite' (two stores). */
  readonly side: string;
  readonly origin: string;
  readonly pid: number | undefined;
  readonly workloads: UserRequests;
  /** The PostgreSQL data directory whose server's CPU this side's slices read. */
  readonly pgData: string | undefined;
}

/** What `alternate` runs: the CLI's options (bench/http-ab.ts), also used by `npm run bench --store both`. */
export interface AlternateOptions {
  /** 'sqlite', 'postgres' or 'both'. */
  readonly store: string;
  readonly users: number;
  readonly rounds: number;
  readonly seconds: number;
  readonly concurrency: number;
  /** Another checkout's root, to compare builds on one store. */
  readonly before?: string | undefined;
  /** Comma-separated workloads: get, lookup, post, patch. */
  readonly only: string;
  readonly log?: (line: string) => void;
}

/** Runs the slices and answers the report (medians, the first side over the second, every round). */
export async function alternate(args: AlternateOptions) {
  const log = args.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stores = args.store === 'both' ? (['postgres', 'sqlite'] as const) : ([args.store] as const);
  if (!stores.every((s) => s === 'sqlite' || s === 'postgres')) throw new Error('--store sqlite, postgres or both');
  if (args.before && stores.length > 1) throw new Error('--before compares builds on one store, not --store both');
  const store = args.store ?? 'sqlite';
  const dir = mkdtempSync(join(tmpdir(), 'roster-http-ab-'));
  const scratch = `http-ab-${process.pid}`;
  const bundleDirs = [join(import.meta.dirname, '../node_modules/.cache/bench-roster', `${scratch}-after`)];
  if (args.before) bundleDirs.push(join(resolve(args.before), 'node_modules/.cache/bench-roster', `${scratch}-before`));
  const children: ChildProcess[] = [];
  let pg: PostgresServer | undefined;
  try {
    const locations: { kind: 'sqlite' | 'postgres'; location: StoreLocation }[] = [];
    for (const kind of stores) {
      if (kind === 'postgres') pg = await startPostgres();
      locations.push({
        kind: kind as 'sqlite' | 'postgres',
        location:
          pg && kind === 'postgres'
            ? { kind: 'postgres', url: pg.url }
            : { kind: 'sqlite', path: join(dir, 'roster.db') },
      });
    }
    const after = await bundledRoster(bundleDirs[0]!);
    const sides = args.before
      ? [
          { side: 'after', runtime: after, ...locations[0]! },
          { side: 'before', runtime: await bundledRoster(bundleDirs[1]!, [], args.before), ...locations[0]! },
        ]
      : locations.map((l) => ({ side: stores.length > 1 ? l.kind : 'after', runtime: after, ...l }));
    const builds: Build[] = [];
    // Per store: its key and ONE set of requests, shared by the builds on it, so that every POST creates a user no
    // slice has created, whichever build serves it.
    const seededAt = new Map<StoreLocation, { workloads: UserRequests; secretKey: string }>();
    for (const { side, runtime, kind, location } of sides) {
      let seeded = seededAt.get(location);
      if (!seeded) {
        const secretKey = generateKeyText();
        const data = await seed(location, parseKeyring(secretKey), args.users, () => {});
        seeded = { workloads: userRequests(data, args.users), secretKey };
        seededAt.set(location, seeded);
      }
      const { secretKey, workloads } = seeded;
      const env = (origin: string) => ({
        ...benchScimEnv(location, secretKey),
        LOG_LEVEL: 'warn',
        ROSTER_PUBLIC_URL: origin,
      });
      const [origin] = await freeOrigins(1);
      const started = await startRosters([origin!], env, children, runtime);
      builds.push({
        side,
        origin: origin!,
        pid: started.processes[0]!.pid,
        workloads,
        pgData: kind === 'postgres' && pg ? join(pg.dir, 'data') : undefined,
      });
    }
    const bare = await startBare(BARE_NODE_HTTP, children);
    const pgData = builds.some((b) => b.pgData !== undefined);
    const wanted = args.only.split(',') as Workload[];
    for (const name of wanted) if (!WORKLOADS.includes(name)) throw new Error(`--only: unknown workload ${name}`);
    const options = {
      concurrency: args.concurrency,
      maxOps: 1_000_000,
      maxSeconds: args.seconds,
      expect: (s: number) => s === 200 || s === 201,
    };
    const slice = async (
      target: string,
      next: (i: number) => RequestSpec,
      pid: number | undefined,
      data: string | undefined = undefined,
    ) => {
      const cpu0 = summedCpuSeconds([pid]);
      const db0 = postgresCpuSeconds(data);
      const r = await runLoad(target, 'slice', next, options);
      if (r.errors > 0) throw new Error(`${r.errors} requests failed: ${JSON.stringify(r.statuses)}`);
      const per = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined ? undefined : ((b - a) / r.ops) * 1e6;
      return {
        opsPerSec: r.opsPerSec,
        rosterMicros: per(cpu0, summedCpuSeconds([pid]))!,
        postgresMicros: data ? per(db0, postgresCpuSeconds(data)) : undefined,
      } satisfies Slice;
    };
    const pgText = (s: Slice) => (s.postgresMicros === undefined ? '' : ` + PostgreSQL ${s.postgresMicros.toFixed(0)}`);
    // One unmeasured slice of each warms the JIT, the statement caches and the pool.
    // Its figures are printed: a fresh process's first seconds cost more, and `npm run bench` measures GET then.
    for (const build of builds)
      for (const name of wanted) {
        const warm = await slice(build.origin, build.workloads[name], build.pid, build.pgData);
        log(
          `warm-up, ${build.side} ${name}: ${warm.opsPerSec.toFixed(0)}/s, Roster ${warm.rosterMicros.toFixed(0)} µs${pgText(warm)}`,
        );
      }
    type Round = { bare: Slice } & Record<string, Slice>;
    const rounds: Round[] = [];
    const key = (side: string, name: Workload) => `${side}:${name}`;
    for (let r = 0; r < args.rounds; r++) {
      const round: Round = { bare: await slice(bare.origin, () => ({ method: 'GET', path: '/' }), bare.child.pid) };
      const names = r % 2 === 0 ? wanted : [...wanted].reverse();
      const order = r % 4 < 2 ? builds : [...builds].reverse();
      for (const name of names)
        for (const build of order)
          round[key(build.side, name)] = await slice(build.origin, build.workloads[name], build.pid, build.pgData);
      rounds.push(round);
      const parts = builds.flatMap((b) =>
        names.map((n) => {
          const s = round[key(b.side, n)]!;
          return `${builds.length > 1 ? `${b.side} ` : ''}${n} ${s.opsPerSec.toFixed(0)}/s, Roster ${s.rosterMicros.toFixed(0)} µs${pgText(s)}`;
        }),
      );
      log(`round ${r + 1}: ceiling ${round.bare.opsPerSec.toFixed(0)}/s; ${parts.join('; ')}`);
    }
    const of = (value: (r: Round) => number) => Number(median(rounds.map(value)).toFixed(3));
    const cpu = (side: string, name: Workload) => (r: Round) => r[key(side, name)]!.rosterMicros;
    const dbCpu = (side: string, name: Workload) => (r: Round) => r[key(side, name)]!.postgresMicros ?? Number.NaN;
    const perBuild = Object.fromEntries(
      builds.map((b) => [
        b.side,
        {
          ...Object.fromEntries(
            wanted.map((n) => [
              n,
              {
                rosterMicros: of(cpu(b.side, n)),
                ...(b.pgData ? { postgresMicros: of(dbCpu(b.side, n)) } : {}),
                opsPerSec: of((r) => r[key(b.side, n)]!.opsPerSec),
                ofCeiling: of((r) => r[key(b.side, n)]!.opsPerSec / r.bare.opsPerSec),
              },
            ]),
          ),
          ...(wanted.includes('get') && wanted.includes('lookup')
            ? {
                lookupOverGet: of((r) => cpu(b.side, 'lookup')(r) / cpu(b.side, 'get')(r)),
                lookupCheaperInRounds: rounds.filter((r) => cpu(b.side, 'lookup')(r) <= cpu(b.side, 'get')(r)).length,
              }
            : {}),
        },
      ]),
    );
    // The first side over the second: after/before (builds), or postgres/sqlite (stores).
    const [top, bottom] = builds.map((b) => b.side);
    const ratios =
      top !== undefined && bottom !== undefined
        ? Object.fromEntries(
            wanted.map((n) => [
              n,
              {
                rosterMedianRatio: of((r) => cpu(top, n)(r) / cpu(bottom, n)(r)),
                rosterLowerInRounds: rounds.filter((r) => cpu(top, n)(r) < cpu(bottom, n)(r)).length,
                ...(pgData && stores.length === 1
                  ? { postgresMedianRatio: of((r) => dbCpu(top, n)(r) / dbCpu(bottom, n)(r)) }
                  : {}),
                opsPerSecMedianRatio: of((r) => r[key(top, n)]!.opsPerSec / r[key(bottom, n)]!.opsPerSec),
              },
            ]),
          )
        : undefined;
    return {
      store,
      users: args.users,
      rounds: rounds.length,
      secondsPerSlice: args.seconds,
      ceilingOpsPerSec: of((r) => r.bare.opsPerSec),
      median: perBuild,
      ...(ratios ? { [`${top}Over${bottom![0]!.toUpperCase()}${bottom!.slice(1)}`]: ratios } : {}),
      each: rounds,
    };
  } finally {
    await stopChildren(children);
    pg?.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const d of bundleDirs) rmSync(d, { recursive: true, force: true });
  }
}
