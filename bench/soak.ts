// `npm run load -- [options]`: the security plan's load scenarios L1–L4 against Roster processes this script
// starts on loopback, each scenario on a fresh store. Prints PASS/FAIL per criterion; exits 1 on any FAIL.
//
//   --scenario L1,L2,L3   which to run (L4 = the soak: L1's mix at half rate with RSS/FD/WAL sampling)
//   --store sqlite|postgres   (postgres: a throwaway server, like the test suite's)
//   --processes N         Roster processes on one PostgreSQL, requests round-robin (default 1)
//   --tenants 10 --rate 25    L1/L2/L4: tenants and requests/s offered per tenant
//   --minutes 1           L1 and L2 duration (the plan: 10)
//   --soak-minutes 2      L4 duration (the plan: 30 after L1, or 120)
//   --limit 50            L2: the per-tenant limit the server runs with (rate = burst); the flooder offers 5×
//   --members 50000       L3: users added to one group, 100 per PATCH
//   --json FILE           also write the results as JSON
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import type { StoreLocation } from '../src/store/open-store.ts';
import { freePort, waitFor } from '../test/support/free-port.ts';
import { createDatabase, type PostgresServer, startPostgres } from '../test/support/postgres-server.ts';
import { Client, type Target } from './scenarios/client.ts';
import { runL1 } from './scenarios/l1.ts';
import { runL2 } from './scenarios/l2.ts';
import { runL3 } from './scenarios/l3.ts';
import { reconcile } from './scenarios/reconcile.ts';
import { type Criterion, printResult, type ScenarioResult } from './scenarios/report.ts';
import { percentile, Stats } from './scenarios/stats.ts';
import { openLoop, prepareTenants } from './scenarios/traffic.ts';
import { seed } from './seed.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OPERATOR_TOKEN = 'load-operator-token-0123456789abcdefghijklmnop';
const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'L1,L2,L3' },
    store: { type: 'string', default: 'sqlite' },
    processes: { type: 'string', default: '1' },
    tenants: { type: 'string', default: '10' },
    rate: { type: 'string', default: '25' },
    minutes: { type: 'string', default: '1' },
    'soak-minutes': { type: 'string', default: '2' },
    limit: { type: 'string', default: '50' },
    members: { type: 'string', default: '50000' },
    json: { type: 'string' },
  },
});

const log = (s: string) => process.stderr.write(`${s}\n`);

interface Cluster {
  readonly target: Target;
  readonly children: ChildProcess[];
  readonly location: StoreLocation;
  stop(): Promise<void>;
}

let pgServer: PostgresServer | undefined;
let dbCounter = 0;

async function freshLocation(dir: string): Promise<StoreLocation> {
  if (args.store === 'sqlite') return { kind: 'sqlite', path: join(dir, `roster-${dbCounter++}.db`) };
  pgServer ??= await startPostgres();
  const name = `load_${dbCounter++}`;
  return { kind: 'postgres', url: await createDatabase(pgServer.url, name) };
}

async function startCluster(
  location: StoreLocation,
  secretKey: string,
  env: Record<string, string>,
  processes: number,
): Promise<Cluster> {
  const children: ChildProcess[] = [];
  const origins: string[] = [];
  for (let i = 0; i < processes; i++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts')], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
        ROSTER_SECRET_KEY: secretKey,
        ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    const origin = `http://127.0.0.1:${port}`;
    await waitFor(`${origin}/healthz`, child);
    origins.push(origin);
  }
  return {
    target: { origins, operatorToken: OPERATOR_TOKEN },
    children,
    location,
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((ok) => {
              if (c.exitCode !== null) return ok();
              c.once('exit', () => ok());
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// L4: the soak, sampling the server processes

interface Sample {
  readonly at: number;
  readonly rssMiB: number;
  readonly fds: number;
  readonly walMiB: number;
  readonly connections: number;
}

async function sample(cluster: Cluster, pool: pg.Client | undefined): Promise<Sample> {
  let rss = 0;
  let fds = 0;
  for (const c of cluster.children) {
    const status = readFileSync(`/proc/${c.pid}/status`, 'utf8');
    rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    fds += readdirSync(`/proc/${c.pid}/fd`).length;
  }
  let wal = 0;
  let connections = 0;
  if (cluster.location.kind === 'sqlite') {
    try {
      wal = statSync(`${cluster.location.path}-wal`).size / 2 ** 20;
    } catch {}
  } else if (pool) {
    wal = Number((await pool.query('select coalesce(sum(size), 0) as s from pg_ls_waldir()')).rows[0].s) / 2 ** 20;
    connections = Number(
      (await pool.query('select count(*) as n from pg_stat_activity where datname = current_database()')).rows[0].n,
    );
  }
  return { at: performance.now(), rssMiB: rss, fds, walMiB: wal, connections };
}

async function runL4(cluster: Cluster, client: Client, minutes: number): Promise<ScenarioResult> {
  const tenants = Number(args.tenants);
  const rate = Number(args.rate) / 2;
  const { ledgers, runId } = await prepareTenants(client, cluster.target, tenants, 150, 'Soak');
  const pgClient =
    cluster.location.kind === 'postgres' ? new pg.Client({ connectionString: cluster.location.url }) : undefined;
  await pgClient?.connect();
  const samples: Sample[] = [];
  const timer = setInterval(() => {
    sample(cluster, pgClient).then(
      (s) => samples.push(s),
      () => {},
    );
  }, 5_000);
  const traffic = ledgers.map((ledger) => ({ ledger, stats: new Stats(), rate }));
  const run = await openLoop(client, traffic, minutes * 60, { seed: 4, runId });
  clearInterval(timer);
  samples.push(await sample(cluster, pgClient));
  await pgClient?.end();
  const all = traffic.reduce((acc, t) => acc.merge(t.stats), new Stats());
  const recs = [];
  for (const l of ledgers) recs.push(await reconcile(client, l));
  // Compare with a sample after warm-up (a fifth of the run), not with the cold start.
  const warm = samples[Math.floor(samples.length / 5)] ?? samples[0]!;
  const end = samples[samples.length - 1]!;
  const half = Math.floor(samples.length / 2);
  const walFirst = Math.max(0, ...samples.slice(0, half).map((s) => s.walMiB));
  const walLast = Math.max(0, ...samples.slice(half).map((s) => s.walMiB));
  const rssGrowth = (end.rssMiB - warm.rssMiB) / warm.rssMiB;
  const lost = recs.reduce((a, r) => a + r.lostWrites + r.phantoms, 0);
  const criteria: Criterion[] = [
    {
      name: 'RSS growth < 10 % after warm-up',
      pass: rssGrowth < 0.1,
      detail: `${warm.rssMiB.toFixed(0)} → ${end.rssMiB.toFixed(0)} MiB (${(rssGrowth * 100).toFixed(1)} %)`,
    },
    { name: 'FD count flat (±5)', pass: end.fds - warm.fds <= 5, detail: `${warm.fds} → ${end.fds}` },
    {
      name: 'WAL bounded (checkpoints happen)',
      pass: walLast <= walFirst * 1.5 + 4,
      detail: `max ${walFirst.toFixed(1)} MiB in the first half, ${walLast.toFixed(1)} MiB in the second`,
    },
    {
      name: 'no pool exhaustion: zero 5xx, zero transport errors',
      pass: all.serverErrors + all.transportErrors === 0,
      detail: `${all.serverErrors} 5xx, ${all.transportErrors} transport${cluster.location.kind === 'postgres' ? `, ≤ ${Math.max(...samples.map((s) => s.connections))} connections` : ''}`,
    },
    { name: 'zero lost writes', pass: lost === 0, detail: `${lost}` },
  ];
  return {
    scenario: 'L4',
    criteria,
    figures: {
      minutes,
      'offered req/s per tenant': rate,
      tenants,
      requests: all.requests,
      p50: `${percentile(all.latencies, 0.5).toFixed(1)} ms`,
      p99: `${percentile(all.latencies, 0.99).toFixed(1)} ms`,
      samples: samples
        .filter((_, i) => i % Math.max(1, Math.floor(samples.length / 8)) === 0 || i === samples.length - 1)
        .map(
          (s) =>
            `${((s.at - samples[0]!.at) / 1000).toFixed(0)}s rss ${s.rssMiB.toFixed(0)}M fd ${s.fds} wal ${s.walMiB.toFixed(1)}M`,
        )
        .join('; '),
      seconds: Number(run.seconds.toFixed(1)),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const scenarios = (args.scenario ?? '').split(',').map((s) => s.trim().toUpperCase());
  const processes = Number(args.processes);
  if (args.store !== 'sqlite' && args.store !== 'postgres') throw new Error('--store is sqlite or postgres');
  if (processes > 1 && args.store !== 'postgres') throw new Error('--processes > 1 needs --store postgres');
  const dir = mkdtempSync(join(tmpdir(), 'roster-load-'));
  const results: ScenarioResult[] = [];
  let cluster: Cluster | undefined;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  log(`Roster load — store ${args.store}, ${processes} process(es); ${machine}`);
  try {
    for (const scenario of scenarios) {
      const location = await freshLocation(dir);
      const secretKey = generateKeyText();
      const minutes = Number(args.minutes);
      const limit = Number(args.limit);
      let env: Record<string, string> = {};
      let prepared: Parameters<typeof runL3>[2]['prepared'];
      if (scenario === 'L2') {
        env = { ROSTER_SCIM_RATE_TENANT: String(limit), ROSTER_SCIM_BURST_TENANT: String(limit) };
      } else if (scenario === 'L3') {
        const members = Number(args.members);
        log(`L3: seeding ${members} users…`);
        const seeded = await seed(location, parseKeyring(secretKey), members, log);
        prepared = {
          tenant: {
            name: 'bench',
            tenantId: seeded.tenantId,
            scimToken: seeded.scimToken,
            base: `/${seeded.tenantId}/api/scim/v2`,
          },
          userIds: seeded.userIds,
        };
        // The 500 PATCHes go back to back; the default limits would allow them anyway.
        env = { ROSTER_SCIM_RATE_TENANT: '100000', ROSTER_SCIM_BURST_TENANT: '100000' };
      }
      cluster = await startCluster(location, secretKey, env, processes);
      const client = new Client(cluster.target);
      log(`${scenario}: running…`);
      let result: ScenarioResult;
      const common = { tenants: Number(args.tenants), rate: Number(args.rate), seconds: minutes * 60 };
      if (scenario === 'L1') result = await runL1(client, cluster.target, common);
      else if (scenario === 'L2')
        result = await runL2(client, cluster.target, {
          ...common,
          limit: { rate: limit, burst: limit },
          limitCopies: 1,
        });
      else if (scenario === 'L3')
        result = await runL3(client, cluster.target, {
          members: Number(args.members),
          ...(prepared ? { prepared } : {}),
        });
      else if (scenario === 'L4') result = await runL4(cluster, client, Number(args['soak-minutes']));
      else throw new Error(`unknown scenario ${scenario} (L1, L2, L3, L4)`);
      await client.close();
      await cluster.stop();
      cluster = undefined;
      results.push({ ...result, figures: { store: String(args.store), processes, ...result.figures } });
    }
  } finally {
    await cluster?.stop();
    pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  let pass = true;
  process.stdout.write(`\nRoster load — store ${args.store}, ${processes} process(es); ${machine}\n`);
  for (const r of results) pass = printResult(r) && pass;
  if (args.json) {
    writeFileSync(
      args.json,
      JSON.stringify(
        results.map(({ ledgers: _, ...r }) => r),
        null,
        2,
      ),
    );
  }
  process.stdout.write(`\n${pass ? 'PASS' : 'FAIL'}\n`);
  process.exit(pass ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  pgServer?.stop();
  process.exit(1);
});
