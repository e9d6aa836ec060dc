// `npm run bench`: Roster's SCIM throughput on a fresh store next to a bare node:http ceiling, loopback only; on
// SQLite, PostgreSQL or both in one invocation, with one or several Roster processes, and issue 14's targets judged
// from the figures of the same run.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { type PostgresServer, startPostgres } from '../test/support/postgres-server.ts';
import { alternate } from './alternate.ts';
import {
  BARE_NODE_HTTP,
  bundledRoster,
  freeOrigins,
  type RosterRuntime,
  startBare,
  startRosters,
  stopChildren,
} from './children.ts';
import { entraInitialSync } from './entra-sync.ts';
import { type LoadResult, type RequestSpec, runLoad } from './load.ts';
import { createEntraGroup, membershipPass } from './membership.ts';
import { postgresCpuSeconds, residentMemory, summedCpuSeconds } from './proc.ts';
import { type PassReport, passFigures, printReport, reportJson } from './report.ts';
import { seed } from './seed.ts';
import { prepareSignin, runSigninBench, type SigninApp } from './signin.ts';
import { targetsOf, WORKLOAD } from './targets.ts';
import { userRequests } from './user-requests.ts';

const { values: args } = parseArgs({
  options: {
    // sqlite, postgres, or both (the SQLite pass, then the PostgreSQL pass, compared workload by workload).
    store: { type: 'string', default: 'sqlite' },
    // Roster processes on the store. With more than one, get/lookup/post/patch run against one process and then
    // against all of them, and the scaling is reported with the CPU split between Roster and PostgreSQL.
    processes: { type: 'string', default: '1' },
    users: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    // At most this many requests per timed workload: with a large --seconds, every run does the same work, so memory
    // and CPU figures compare across runs on a machine whose speed varies.
    ops: { type: 'string', default: '1000000' },
    json: { type: 'string' },
    // Comma-separated subset: get, lookup, post, patch, paging, members, group, sync, signin, token-code,
    // token-refresh (default: all), and
    // members-excluded (a labelled variant of members no IdP sends; only when named).
    only: { type: 'string' },
    // The Entra initial sync: users looked up and created, groups looked up and created, members added.
    'sync-users': { type: 'string', default: '100000' },
    'sync-groups': { type: 'string', default: '1000' },
    // Sign-in (signin, token-code, token-refresh): how many people sign in first (and hold sessions and refresh
    // tokens), and stored sign-in rows added before the measured runs: live ones (growth) and expired ones, which
    // Roster's purge removes while the refresh grant is measured.
    people: { type: 'string', default: '200' },
    'signin-rows': { type: 'string', default: '0' },
    'purge-rows': { type: 'string', default: '0' },
    // How Roster runs: bundle (what `npm start` runs, the default) or tsx (`npm run dev`, the source through tsx).
    runtime: { type: 'string', default: 'bundle' },
    // Extra Node/V8 flags for Roster's processes (bundle runtime), e.g. to compare heap settings.
    'node-flags': { type: 'string', default: '' },
    // Writes a V8 CPU profile of each Roster process into this directory (open it in Chrome DevTools).
    profile: { type: 'string' },
    // Unmeasured reads (GET and userName lookups, alternating) each Roster process serves before the first measured
    // workload. A fresh process costs up to 2.8× its steady CPU per request over its first ~8,000 requests (JIT,
    // pool); without this, the GET, which runs first, is measured cold. 0 measures from a cold start.
    warmup: { type: 'string', default: '10000' },
    // With --store both: rounds of 2-second slices alternating between a SQLite and a PostgreSQL Roster for get,
    // lookup, post and patch (bench/alternate.ts), which judge those workloads' PostgreSQL targets. 0: none.
    'alternate-rounds': { type: 'string', default: '4' },
  },
});

const log = (s: string) => process.stderr.write(`${s}\n`);

// The framework's own floor: Fastify 5 answering the same fixed JSON, no hooks, no logger.
const BARE_FASTIFY = `const f=require('fastify')({logger:false});f.get('/',async(q,r)=>r.type('application/scim+json').send('{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"id":"x"}]}'));f.listen({port:+process.env.PORT,host:'127.0.0.1'})`;

type Store = 'sqlite' | 'postgres';

/** A bad option ends the bench before it starts anything, with the reason and no stack. */
function usage(message: string): never {
  process.stderr.write(`npm run bench: ${message}\n`);
  process.exit(2);
}

function storesOf(value: string | undefined): Store[] {
  if (value === 'both') return ['sqlite', 'postgres'];
  if (value === 'sqlite' || value === 'postgres') return [value];
  usage(`--store must be sqlite, postgres or both (got ${value})`);
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be a whole number ≥ 1 (got ${value})`);
  return n;
}

const users = positive('users', args.users);
const concurrency = positive('concurrency', args.concurrency);
const maxSeconds = Number(args.seconds);
if (!(maxSeconds > 0)) usage(`--seconds must be a number > 0 (got ${args.seconds})`);
const stores = storesOf(args.store);
if (args.runtime !== 'bundle' && args.runtime !== 'tsx') usage(`--runtime must be bundle or tsx (got ${args.runtime})`);
const ROOT = resolve(import.meta.dirname, '..');
// The bundle sits under node_modules so that its package imports resolve, as dist/ does under the repository.
const bundleDir = join(ROOT, 'node_modules/.cache/bench-roster', String(process.pid));
const processCount = positive('processes', args.processes);
const warmupReads = Number(args.warmup);
if (!Number.isInteger(warmupReads) || warmupReads < 0)
  usage(`--warmup must be a whole number ≥ 0 (got ${args.warmup})`);
const wanted = new Set(
  (args.only ?? 'get,lookup,post,patch,paging,members,group,sync,signin,token-code,token-refresh').split(','),
);
const want = (name: string) => wanted.has(name);
// The workloads measured against one process and then against all of them when --processes > 1.
const SCALED = new Set(['get', 'lookup', 'post', 'patch']);

/** What a pass still has running; an interrupted bench stops it before exiting, as a failed one does. */
const cleanups = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    log(`${signal}: stopping the bench's processes…`);
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  });

/** One store's pass: seed, start Roster(s) and the bare servers, run the wanted workloads, stop everything. */
async function storePass(store: Store): Promise<PassReport> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
  const secretKey = generateKeyText();
  const children: ChildProcess[] = [];
  let pg: PostgresServer | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = () => {
    cleaned ??= (async () => {
      await stopChildren(children);
      pg?.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(bundleDir, { recursive: true, force: true });
    })();
    return cleaned;
  };
  cleanups.add(cleanup);
  try {
    if (store === 'postgres') pg = await startPostgres();
    const location = pg
      ? ({ kind: 'postgres', url: pg.url } as const)
      : ({ kind: 'sqlite', path: join(dir, 'roster.db') } as const);
    const databaseUrl = pg ? pg.url : `sqlite:${location.path}`;
    log(`seeding ${users} users on ${store}…`);
    const seeded = await seed(location, parseKeyring(secretKey), users, log);
    const purgeRows = Number(args['purge-rows']);
    const signinWanted = ['signin', 'token-code', 'token-refresh'].some(want);
    const rosterEnv = (origin: string) => ({
      DATABASE_URL: databaseUrl,
      ROSTER_SECRET_KEY: secretKey,
      ROSTER_BOOTSTRAP_TOKEN: 'bench-operator-token-0123456789abcdefghij',
      LOG_LEVEL: 'warn',
      // The bench measures throughput, not throttling.
      ROSTER_SCIM_RATE_TENANT: '1000000',
      ROSTER_SCIM_BURST_TENANT: '1000000',
      ROSTER_SCIM_RATE_TOKEN: '1000000',
      ROSTER_SCIM_BURST_TOKEN: '1000000',
      ROSTER_PUBLIC_URL: origin,
      ROSTER_SIGNIN_RATE_ADDRESS: '1000000',
      ROSTER_SIGNIN_BURST_ADDRESS: '1000000',
      ROSTER_SIGNIN_RATE_TENANT: '1000000',
      ROSTER_SIGNIN_BURST_TENANT: '1000000',
      // With expired rows to purge, the purge runs every few seconds instead of hourly, so it runs under load.
      ...(purgeRows > 0 ? { ROSTER_PURGE_INTERVAL_SECONDS: '3' } : {}),
    });
    const origins = await freeOrigins(processCount);
    const origin = origins[0]!;
    let signinApp: SigninApp | undefined;
    if (signinWanted) {
      // Sign-in runs against the first process only; its public URL is the one the stand-in Entra calls back.
      signinApp = await prepareSignin(location, parseKeyring(secretKey), seeded.tenantId, origin);
      children.push(signinApp.entra);
    }
    const runtime: RosterRuntime =
      args.runtime === 'tsx'
        ? { kind: 'tsx' }
        : await bundledRoster(bundleDir, args['node-flags'].split(' ').filter(Boolean));
    log(
      `Roster runs ${runtime.kind === 'tsx' ? 'through tsx' : `from the bundle, node ${runtime.nodeFlags.join(' ')}`}`,
    );
    const rosters = await startRosters(origins, rosterEnv, children, runtime, args.profile);
    const bare = await startBare(BARE_NODE_HTTP, children);
    const bareFastify = await startBare(BARE_FASTIFY, children);

    const base = `/${seeded.tenantId}/api/scim/v2`;
    const auth = { authorization: `Bearer ${seeded.scimToken}` };
    const json = { ...auth, 'content-type': 'application/scim+json; charset=utf-8' };
    const ok = (s: number) => s >= 200 && s < 300;
    const opts = { concurrency, maxSeconds, maxOps: positive('ops', args.ops), expect: ok };
    const pgData = pg ? join(pg.dir, 'data') : undefined;
    // Roster's CPU is summed over all its processes, idle ones included, so one and N processes compare fairly.
    const rosterCpu = () => summedCpuSeconds(rosters.processes.map((c) => c.pid));
    const report: PassReport = {
      store,
      users,
      processes: processCount,
      results: [],
      cpuPerOp: new Map(),
      pgCpuPerOp: new Map(),
      clientCpuPerOp: new Map(),
      workloads: {},
      paging: [],
      membership: [],
      scaling: [],
      ceilingOpsPerSec: 0,
    };
    // Server CPU per request: unlike ops/s it hardly moves when other work shares the machine, so an A/B of a
    // change in the request path can be read from it on a busy box.
    const run = async (
      name: string,
      next: (i: number) => RequestSpec,
      target: string | readonly string[] = origin,
      serverCpu: () => number | undefined = rosterCpu,
    ) => {
      const roster = serverCpu === rosterCpu;
      const cpu0 = serverCpu();
      const db0 = roster ? postgresCpuSeconds(pgData) : undefined;
      const client0 = process.cpuUsage();
      const r = await runLoad(target, name, next, opts);
      const client = process.cpuUsage(client0);
      const cpu1 = serverCpu();
      const db1 = db0 === undefined ? undefined : postgresCpuSeconds(pgData);
      const per = (a: number | undefined, b: number | undefined) =>
        a !== undefined && b !== undefined && r.ops > 0 ? ((b - a) / r.ops) * 1e6 : undefined;
      const cpu = per(cpu0, cpu1);
      const db = per(db0, db1);
      if (cpu !== undefined) report.cpuPerOp.set(name, cpu);
      if (db !== undefined) report.pgCpuPerOp.set(name, db);
      // The load generator shares the cores with the server: both figures together bound ops/s on this machine.
      if (r.ops > 0) report.clientCpuPerOp.set(name, (client.user + client.system) / r.ops);
      report.results.push(r);
      log(
        `  ${name}: ${r.opsPerSec.toFixed(0)} ops/s, p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms, server CPU ${cpu?.toFixed(0) ?? '?'} µs/op${db !== undefined ? ` + PostgreSQL ${db.toFixed(0)} µs/op` : ''}, client CPU ${report.clientCpuPerOp.get(name)?.toFixed(0) ?? '?'} µs/op, errors ${r.errors}`,
      );
      return r;
    };
    const split = (name: string, r: LoadResult) => ({
      opsPerSec: r.opsPerSec,
      rosterCpuMicros: report.cpuPerOp.get(name),
      postgresCpuMicros: report.pgCpuPerOp.get(name),
      clientCpuMicros: report.clientCpuPerOp.get(name),
    });
    /** A Roster workload: one process, then (with --processes > 1, for the scaled ones) all of them at once. */
    const workload = async (key: string, name: string, next: (i: number) => RequestSpec) => {
      const one = await run(name, next);
      report.workloads[name] = { opsPerSec: one.opsPerSec, rosterCpuMicros: report.cpuPerOp.get(name) };
      if (processCount === 1 || !SCALED.has(key)) return;
      const manyName = `${name} × ${processCount} processes`;
      const many = await run(manyName, next, rosters.origins);
      report.scaling.push({
        name,
        processes: processCount,
        ratio: many.opsPerSec / one.opsPerSec,
        one: split(name, one),
        many: split(manyName, many),
      });
    };

    log(`running workloads on ${store}…`);
    const ceiling = await run(
      'bare node:http (ceiling)',
      () => ({ method: 'GET', path: '/' }),
      bare.origin,
      () => summedCpuSeconds([bare.child.pid]),
    );
    report.ceilingOpsPerSec = ceiling.opsPerSec;
    await run(
      'bare Fastify, same JSON (framework floor)',
      () => ({ method: 'GET', path: '/' }),
      bareFastify.origin,
      () => summedCpuSeconds([bareFastify.child.pid]),
    );
    // Every POST creates a user no run has created before, across the one- and the N-process runs.
    const requests = userRequests(seeded, users);
    if (warmupReads > 0) {
      const cpu0 = rosterCpu();
      const warm = await runLoad(
        rosters.origins,
        'warm-up',
        (i) => (i % 2 === 0 ? requests.get(i) : requests.lookup(i)),
        {
          ...opts,
          maxOps: warmupReads * processCount,
          maxSeconds: 300,
        },
      );
      const cpu1 = rosterCpu();
      report.warmup = {
        ops: warm.ops,
        seconds: warm.seconds,
        rosterCpuMicros: cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) / warm.ops) * 1e6 : undefined,
      };
      log(
        `  warm-up, not measured: ${warm.ops} reads in ${warm.seconds.toFixed(1)} s, Roster CPU ${report.warmup.rosterCpuMicros?.toFixed(0) ?? '?'} µs/op, errors ${warm.errors}`,
      );
    }
    if (want('get')) await workload('get', WORKLOAD.get, requests.get);
    if (want('lookup')) await workload('lookup', WORKLOAD.lookup, requests.lookup);
    if (want('post')) await workload('post', WORKLOAD.post, requests.post);
    if (want('patch')) await workload('patch', WORKLOAD.patch, requests.patch);

    // Paging through every user, sequentially, as an IdP import does: Okta's exact request (`startIndex` and
    // `count=100`, nothing else) and the same pages by cursor (RFC 9865), which no IdP sends yet.
    const pageAll = async (mode: 'index' | 'cursor') => {
      const t0 = performance.now();
      const cpu0 = rosterCpu();
      const db0 = postgresCpuSeconds(pgData);
      let seen = 0;
      let pages = 0;
      let cursor = '';
      for (let start = 1; ; start += 100) {
        const q = mode === 'index' ? `startIndex=${start}&count=100` : `count=100&cursor=${cursor}`;
        const page = (await (await fetch(`${origin}${base}/Users?${q}`, { headers: auth })).json()) as {
          Resources: unknown[];
          nextCursor?: string;
        };
        pages++;
        seen += page.Resources.length;
        if (mode === 'cursor') {
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        } else if (page.Resources.length < 100) break;
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpu1 = rosterCpu();
      const db1 = db0 === undefined ? undefined : postgresCpuSeconds(pgData);
      const name = `page all users (${mode})`;
      const msPerPage = (seconds * 1000) / pages;
      // CPU per page (the row's ops/s counts users).
      if (cpu0 !== undefined && cpu1 !== undefined) report.cpuPerOp.set(name, ((cpu1 - cpu0) / pages) * 1e6);
      if (db0 !== undefined && db1 !== undefined) report.pgCpuPerOp.set(name, ((db1 - db0) / pages) * 1e6);
      log(
        `  page through ${seen} users (${mode}, count=100): ${seconds.toFixed(2)} s, ${pages} pages, ${msPerPage.toFixed(1)} ms a page`,
      );
      report.paging.push({ mode, pages, msPerPage });
      // Compared across stores as pages a second, with Roster's CPU per page.
      report.workloads[name] = { opsPerSec: pages / seconds, rosterCpuMicros: report.cpuPerOp.get(name) };
      report.results.push({
        name,
        ops: seen,
        seconds,
        opsPerSec: seen / seconds,
        p50ms: 0,
        p99ms: 0,
        errors: seen >= users ? 0 : 1,
        statuses: { pages, msPerPage },
      });
    };
    if (want('paging')) for (const mode of ['index', 'cursor'] as const) await pageAll(mode);

    // Group membership as Entra sends it (no query string): 100-member Add PATCHes into one group, then (after the
    // group reads below, which need the big group) the same members removed in 100-member Remove PATCHes.
    const memberIds = want('members') ? seeded.userIds.slice(0, Math.min(seeded.userIds.length, 100_000)) : [];
    const batches = Math.floor(memberIds.length / 100);
    const group = { id: await createEntraGroup(origin, base, json, 'Everyone') };
    const entra = { query: '', label: "(Entra's request)", expected: 204, cpuSeconds: rosterCpu };
    const pass = async (groupId: string, op: 'Add' | 'Remove', how: typeof entra) => {
      const p = await membershipPass(origin, base, json, groupId, memberIds, op, how);
      log(p.line);
      report.results.push(p.result);
      // One PATCH at a time: batches a second is its throughput, compared across stores like the others.
      if (p.result.seconds > 0) report.workloads[p.result.name] = { opsPerSec: p.result.ops / p.result.seconds };
      if (how === entra)
        report.membership.push({
          op,
          p50ms: p.result.p50ms,
          lastOverFirst: p.result.statuses.lastOverFirst ?? 0,
        });
    };
    if (batches > 0) await pass(group.id, 'Add', entra);

    if (want('group')) {
      // The same read on a group of 10 members: excluding members must make the size irrelevant.
      const small = (await (
        await fetch(`${origin}${base}/Groups`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
            displayName: 'Ten',
            members: seeded.userIds.slice(0, 10).map((value) => ({ value })),
          }),
        })
      ).json()) as { id: string };
      await workload('group', 'GET /Groups/{id}?excludedAttributes=members (10 members)', () => ({
        method: 'GET',
        path: `${base}/Groups/${small.id}?excludedAttributes=members`,
        headers: auth,
      }));
      await workload('group', `GET /Groups/{id}?excludedAttributes=members (${batches * 100} members)`, () => ({
        method: 'GET',
        path: `${base}/Groups/${group.id}?excludedAttributes=members`,
        headers: auth,
      }));
    }

    if (batches > 0) await pass(group.id, 'Remove', entra);
    if (batches > 0 && want('members-excluded')) {
      // Labelled variant no IdP sends: the same writes answered 200 with the group minus its members.
      const variant = {
        query: '?excludedAttributes=members',
        label: '(?excludedAttributes=members, no IdP)',
        cpuSeconds: rosterCpu,
        expected: 200,
      };
      const other = await createEntraGroup(origin, base, json, 'Everyone, projected');
      await pass(other, 'Add', variant);
      await pass(other, 'Remove', variant);
    }

    if (want('sync')) {
      const cpu0 = rosterCpu();
      const sync = await entraInitialSync(origin, base, auth, json, {
        users: Number(args['sync-users']),
        groups: Number(args['sync-groups']),
        concurrency,
        log,
      });
      const cpu1 = rosterCpu();
      for (const r of sync) {
        const cpu = cpu0 !== undefined && cpu1 !== undefined && r.ops > 0 ? ((cpu1 - cpu0) / r.ops) * 1e6 : undefined;
        if (cpu !== undefined) report.cpuPerOp.set(r.name, cpu);
        report.workloads[r.name] = { opsPerSec: r.opsPerSec, rosterCpuMicros: cpu };
        report.results.push(r);
      }
    }

    if (signinApp) {
      const signin = await runSigninBench({
        origin,
        tenantId: seeded.tenantId,
        app: signinApp,
        location,
        users,
        concurrency,
        seconds: maxSeconds,
        people: Number(args.people),
        storedRows: Number(args['signin-rows']),
        purgeRows,
        wanted: want,
        // The grant's own code (oidc-provider's) is cold until it has run a few thousand times, like the reads'.
        warmupGrants: Math.min(warmupReads, 3000),
        rosterCpu: () => summedCpuSeconds([rosters.processes[0]!.pid]),
        entraCpu: () => summedCpuSeconds([signinApp?.entra.pid]),
        log,
      });
      report.signin = { signMicros: signin.signMicros, signinRows: Number(args['signin-rows']), purgeRows };
      report.results.push(...signin.results);
      for (const r of signin.results)
        report.workloads[r.name] = { opsPerSec: r.opsPerSec, rosterCpuMicros: r.rosterCpuMicros };
      report.refreshVsSigning = signin.results.find((r) => r.name === WORKLOAD.refresh)?.vsSigning;
    }

    const memory = rosters.processes.map((c) => residentMemory(c.pid));
    if (memory.every((m) => m !== undefined)) {
      report.rss = {
        rssMb: memory.reduce((a, m) => a + m!.rssMb, 0),
        peakMb: Math.max(...memory.map((m) => m!.peakMb)),
      };
      log(`  Roster RSS now ${report.rss.rssMb} MB (all processes), peak ${report.rss.peakMb} MB (largest process)`);
    }
    return report;
  } finally {
    await cleanup();
    cleanups.delete(cleanup);
  }
}

/** The four user workloads' PostgreSQL-over-SQLite ratios from alternating slices, when both stores are benched. */
async function alternatingStores() {
  const rounds = Number(args['alternate-rounds']);
  const only = ['get', 'lookup', 'post', 'patch'].filter(want);
  if (!(stores.includes('sqlite') && stores.includes('postgres')) || !(rounds > 0) || only.length === 0) return;
  log(`alternating SQLite and PostgreSQL slices (${only.join(', ')}), ${rounds} rounds…`);
  const report = await alternate({
    store: 'both',
    users,
    rounds,
    seconds: 2,
    concurrency,
    only: only.join(','),
    log: (line) => log(`  ${line}`),
  });
  const ratios = (report as { postgresOverSqlite?: Record<string, Record<string, number>> }).postgresOverSqlite ?? {};
  const rows = Object.entries(ratios).map(([key, r]) => ({
    name: WORKLOAD[key as 'get' | 'lookup' | 'post' | 'patch'],
    opsRatio: r.opsPerSecMedianRatio!,
    cpuRatio: r.rosterMedianRatio!,
    pgLowerInRounds: r.rosterLowerInRounds!,
  }));
  return { report, rows };
}

async function main(): Promise<void> {
  const passes: PassReport[] = [];
  for (const store of stores) passes.push(await storePass(store));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const alternating = await alternatingStores();
  const rows = alternating?.rows ?? [];
  const targets = targetsOf(passes.map(passFigures), rows);
  const settings = { users, concurrency, seconds: maxSeconds, processes: processCount, machine };
  printReport(passes, targets, settings, rows);
  if (args.json)
    writeFileSync(args.json, JSON.stringify(reportJson(passes, targets, settings, alternating?.report), null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
