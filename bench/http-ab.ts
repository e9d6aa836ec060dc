// `npx tsx bench/http-ab.ts --store sqlite|postgres|both [--only get,lookup,post,patch]`: Entra's GET /Users/{id}, its
// `userName eq` lookup, POST /Users and the Replace PATCH over HTTP, in short alternating slices against one Roster
// process, so that they compare on the same machine state.
// `npm run bench` runs each workload once, GET first: on a box whose speed drifts, the order of the workloads can
// look like a difference in cost. Each round runs the bare node:http server, then each workload in an order that
// alternates from round to round; it prints each round's Roster (and PostgreSQL) CPU per request and the medians,
// with the lookup's CPU as a ratio to the GET's of the same round.
// With `--before DIR` (another checkout, node_modules linked), that build's bundle runs too, on the same store, and
// every slice is taken from both builds in alternating order: the medians of after/before per workload are an A/B
// over HTTP, with the workload a change does not touch as its control.
// With `--store both`, this build runs twice, on SQLite and on PostgreSQL, each store seeded alike, and the slices
// alternate between the two: the medians of postgres/sqlite are issue 14's "PostgreSQL at ≥ 70 % of SQLite" measured
// on the same machine state, where `npm run bench` measures the two stores minutes apart.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import type { StoreLocation } from '../src/store/open-store.ts';
import { type PostgresServer, startPostgres } from '../test/support/postgres-server.ts';
import { median } from './ab-builds.ts';
import { benchScimEnv } from './bench-store.ts';
import { BARE_NODE_HTTP, bundledRoster, freeOrigins, startBare, startRosters, stopChildren } from './children.ts';
import { type RequestSpec, runLoad } from './load.ts';
import { postgresCpuSeconds, summedCpuSeconds } from './proc.ts';
import { seed } from './seed.ts';
import { userRequests } from './user-requests.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    users: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
    before: { type: 'string' },
    only: { type: 'string', default: 'get,lookup' },
  },
});

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
  readonly workloads: Record<Workload, (i: number) => RequestSpec>;
  /** The PostgreSQL data directory whose server's CPU this side's slices read. */
  readonly pgData: string | undefined;
}

async function main(): Promise<void> {
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
    const seededAt = new Map<StoreLocation, { seeded: Awaited<ReturnType<typeof seed>>; secretKey: string }>();
    for (const { side, runtime, kind, location } of sides) {
      let seeded = seededAt.get(location);
      if (!seeded) {
        const secretKey = generateKeyText();
        seeded = { seeded: await seed(location, parseKeyring(secretKey), Number(args.users), () => {}), secretKey };
        seededAt.set(location, seeded);
      }
      const { secretKey } = seeded;
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
        // Every POST creates a user no slice has created, whichever build serves it.
        workloads: userRequests(seeded.seeded, Number(args.users)),
        pgData: kind === 'postgres' && pg ? join(pg.dir, 'data') : undefined,
      });
    }
    const bare = await startBare(BARE_NODE_HTTP, children);
    const pgData = builds.some((b) => b.pgData !== undefined);
    const wanted = args.only.split(',') as Workload[];
    for (const name of wanted) if (!WORKLOADS.includes(name)) throw new Error(`--only: unknown workload ${name}`);
    const options = {
      concurrency: Number(args.concurrency),
      maxOps: 1_000_000,
      maxSeconds: Number(args.seconds),
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
        process.stderr.write(
          `warm-up, ${build.side} ${name}: ${warm.opsPerSec.toFixed(0)}/s, Roster ${warm.rosterMicros.toFixed(0)} µs${pgText(warm)}\n`,
        );
      }
    type Round = { bare: Slice } & Record<string, Slice>;
    const rounds: Round[] = [];
    const key = (side: string, name: Workload) => `${side}:${name}`;
    for (let r = 0; r < Number(args.rounds); r++) {
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
      process.stderr.write(`round ${r + 1}: ceiling ${round.bare.opsPerSec.toFixed(0)}/s; ${parts.join('; ')}\n`);
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
    console.log(
      JSON.stringify(
        {
          store,
          users: Number(args.users),
          rounds: rounds.length,
          secondsPerSlice: Number(args.seconds),
          ceilingOpsPerSec: of((r) => r.bare.opsPerSec),
          median: perBuild,
          ...(ratios ? { [`${top}Over${bottom![0]!.toUpperCase()}${bottom!.slice(1)}`]: ratios } : {}),
          each: rounds,
        },
        null,
        2,
      ),
    );
  } finally {
    await stopChildren(children);
    pg?.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const d of bundleDirs) rmSync(d, { recursive: true, force: true });
  }
}

await main();
