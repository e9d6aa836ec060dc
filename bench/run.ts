// `npm run bench`: Roster's SCIM throughput on a fresh store next to a bare node:http ceiling, loopback only.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { freePort, waitFor } from '../test/support/free-port.ts';
import { startPostgres } from '../test/support/postgres-server.ts';
import { type LoadResult, type RequestSpec, runLoad, runTasks } from './load.ts';
import { createEntraGroup, membershipPass } from './membership.ts';
import { benchUser, seed } from './seed.ts';
import { prepareSignin, runSigninBench, type SigninApp, type SigninResult } from './signin.ts';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    users: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
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
    // Writes a V8 CPU profile of the Roster process into this directory (open it in Chrome DevTools).
    profile: { type: 'string' },
  },
});

const log = (s: string) => process.stderr.write(`${s}\n`);

// The framework's own floor: Fastify 5 answering the same fixed JSON, no hooks, no logger.
const BARE_FASTIFY = `const f=require('fastify')({logger:false});f.get('/',async(q,r)=>r.type('application/scim+json').send('{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"id":"x"}]}'));f.listen({port:+process.env.PORT,host:'127.0.0.1'})`;
const BARE = `require('node:http').createServer((q,s)=>{s.writeHead(200,{'content-type':'application/scim+json'});s.end('{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"id":"x"}]}')}).listen(+process.env.PORT,'127.0.0.1')`;

/** The Roster process's resident memory now and at its peak (Linux /proc), in MB. */
function residentMemory(pid: number | undefined): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; clock ticks of 10 ms). */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the PostgreSQL server has used so far: the postmaster and every backend and worker it started (their
 * /proc entries name it as parent), so the bench can split a request's CPU between Roster and the database. A
 * backend that exits between two readings takes its share with it; the bench's pool keeps its backends.
 */
function postgresCpuSeconds(dataDir: string | undefined): number | undefined {
  if (dataDir === undefined) return undefined;
  try {
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    let total = cpuSeconds(postmaster) ?? 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
        if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        // the process ended while the directory was read
      }
    }
    return total;
  } catch {
    return undefined;
  }
}

/**
 * Entra ID's initial sync as it sends it: for each user a `userName eq` lookup then a POST; for each group a
 * `displayName eq` lookup (members excluded) then a POST without members; then the members, added by PATCHes of
 * up to 100 values. Every user lands in one group. Reported as one elapsed time and the requests it took.
 */
async function entraInitialSync(
  origin: string,
  base: string,
  auth: Record<string, string>,
  json: Record<string, string>,
): Promise<LoadResult[]> {
  const userCount = Number(args['sync-users']);
  const groupCount = Math.max(1, Number(args['sync-groups']));
  const concurrency = Number(args.concurrency);
  log(`  Entra initial sync: ${userCount} users, ${groupCount} groups…`);
  const userIds: string[] = new Array(userCount);
  const groupIds: string[] = new Array(groupCount);
  const lookup = (resource: 'Users' | 'Groups', filter: string, extra = '') => ({
    method: 'GET' as const,
    path: `${base}/${resource}?filter=${encodeURIComponent(filter)}${extra}`,
    headers: auth,
  });
  const phases: { name: string; seconds: number; requests: number; failures: number; latencies: Float64Array }[] = [];
  phases.push({
    name: 'users',
    ...(await runTasks(origin, concurrency, userCount, async (i, send) => {
      const body = benchUser(10_000_000 + i);
      const found = await send(lookup('Users', `userName eq "${body.userName}"`));
      if (found.status !== 200 || !found.body.includes('"totalResults":0')) return false;
      const created = await send({ method: 'POST', path: `${base}/Users`, body: JSON.stringify(body), headers: json });
      if (created.status !== 201) return false;
      userIds[i] = (JSON.parse(created.body) as { id: string }).id;
      return true;
    })),
  });
  phases.push({
    name: 'groups',
    ...(await runTasks(origin, concurrency, groupCount, async (i, send) => {
      const displayName = `Sync Group ${i}`;
      const found = await send(lookup('Groups', `displayName eq "${displayName}"`, '&excludedAttributes=members'));
      if (found.status !== 200 || !found.body.includes('"totalResults":0')) return false;
      const created = await send({
        method: 'POST',
        path: `${base}/Groups`,
        headers: json,
        body: JSON.stringify({
          schemas: [
            'urn:ietf:params:scim:schemas:core:2.0:Group',
            'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
          ],
          displayName,
          externalId: `sync-group-${i}`,
          meta: { resourceType: 'Group' },
        }),
      });
      if (created.status !== 201) return false;
      groupIds[i] = (JSON.parse(created.body) as { id: string }).id;
      return true;
    })),
  });
  // User i belongs to group i mod groupCount; each group's members go in PATCHes of at most 100.
  const batches: { group: string; members: string[] }[] = [];
  for (let g = 0; g < groupCount; g++) {
    const members: string[] = [];
    for (let u = g; u < userCount; u += groupCount) if (userIds[u]) members.push(userIds[u]!);
    for (let k = 0; k < members.length; k += 100)
      batches.push({ group: groupIds[g]!, members: members.slice(k, k + 100) });
  }
  phases.push({
    name: 'members',
    ...(await runTasks(origin, concurrency, batches.length, async (i, send) => {
      const b = batches[i]!;
      const res = await send({
        method: 'PATCH',
        path: `${base}/Groups/${b.group}`,
        headers: json,
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Add', path: 'members', value: b.members.map((value) => ({ $ref: null, value })) }],
        }),
      });
      return res.status === 204;
    })),
  });
  const seconds = phases.reduce((a, p) => a + p.seconds, 0);
  const requests = phases.reduce((a, p) => a + p.requests, 0);
  const failures = phases.reduce((a, p) => a + p.failures, 0);
  for (const p of phases) {
    log(
      `    ${p.name}: ${p.requests} requests in ${p.seconds.toFixed(1)} s (${(p.requests / p.seconds).toFixed(0)} req/s), failures ${p.failures}`,
    );
  }
  log(`  Entra initial sync: ${requests} requests in ${seconds.toFixed(1)} s, failures ${failures}`);
  const all = Float64Array.from(phases.flatMap((p) => [...p.latencies])).sort();
  const at = (q: number) => all[Math.min(all.length - 1, Math.floor(all.length * q))] ?? 0;
  return [
    {
      name: `Entra initial sync (${userCount} users, ${groupCount} groups)`,
      ops: requests,
      seconds,
      opsPerSec: requests / seconds,
      p50ms: at(0.5),
      p99ms: at(0.99),
      errors: failures,
      statuses: {},
    },
  ];
}

async function main(): Promise<void> {
  const users = Number(args.users);
  const concurrency = Number(args.concurrency);
  const maxSeconds = Number(args.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
  const secretKey = generateKeyText();
  const pg = args.store === 'postgres' ? await startPostgres() : undefined;
  const databaseUrl = pg ? pg.url : `sqlite:${join(dir, 'roster.db')}`;
  const location = pg
    ? ({ kind: 'postgres', url: pg.url } as const)
    : ({ kind: 'sqlite', path: join(dir, 'roster.db') } as const);
  const children: ChildProcess[] = [];
  const results: LoadResult[] = [];
  try {
    log(`seeding ${users} users on ${args.store}…`);
    const seeded = await seed(location, parseKeyring(secretKey), users, log);

    const port = await freePort();
    const wanted = new Set(
      (args.only ?? 'get,lookup,post,patch,paging,members,group,sync,signin,token-code,token-refresh').split(','),
    );
    const want = (name: string) => wanted.has(name);
    const signinWanted = ['signin', 'token-code', 'token-refresh'].some(want);
    const purgeRows = Number(args['purge-rows']);
    let signinApp: SigninApp | undefined;
    if (signinWanted) {
      signinApp = await prepareSignin(location, parseKeyring(secretKey), seeded.tenantId, `http://127.0.0.1:${port}`);
      children.push(signinApp.entra);
    }
    const profiling = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args.profile)}`] : [];
    const roster = spawn(
      process.execPath,
      [...profiling, '--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts')],
      {
        env: {
          ...process.env,
          PORT: String(port),
          DATABASE_URL: databaseUrl,
          ROSTER_SECRET_KEY: secretKey,
          ROSTER_BOOTSTRAP_TOKEN: 'bench-operator-token-0123456789abcdefghij',
          LOG_LEVEL: 'warn',
          // The bench measures throughput, not throttling.
          ROSTER_SCIM_RATE_TENANT: '1000000',
          ROSTER_SCIM_BURST_TENANT: '1000000',
          ROSTER_SCIM_RATE_TOKEN: '1000000',
          ROSTER_SCIM_BURST_TOKEN: '1000000',
          ROSTER_PUBLIC_URL: `http://127.0.0.1:${port}`,
          ROSTER_SIGNIN_RATE_ADDRESS: '1000000',
          ROSTER_SIGNIN_BURST_ADDRESS: '1000000',
          ROSTER_SIGNIN_RATE_TENANT: '1000000',
          ROSTER_SIGNIN_BURST_TENANT: '1000000',
          // With expired rows to purge, the purge runs every few seconds instead of hourly, so it runs under load.
          ...(purgeRows > 0 ? { ROSTER_PURGE_INTERVAL_SECONDS: '3' } : {}),
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(roster);
    const barePort = await freePort();
    const bare = spawn(process.execPath, ['-e', BARE], { env: { PORT: String(barePort) }, stdio: 'ignore' });
    children.push(bare);
    const fastifyPort = await freePort();
    const bareFastify = spawn(process.execPath, ['-e', BARE_FASTIFY], {
      cwd: ROOT,
      env: { PORT: String(fastifyPort) },
      stdio: 'ignore',
    });
    children.push(bareFastify);
    const origin = `http://127.0.0.1:${port}`;
    // A loaded machine can take a while to start Roster (tsx compiling it); the bench waits rather than fails.
    await waitFor(`${origin}/healthz`, roster, 180);
    await waitFor(`http://127.0.0.1:${barePort}/`, bare);
    await waitFor(`http://127.0.0.1:${fastifyPort}/`, bareFastify);

    const base = `/${seeded.tenantId}/api/scim/v2`;
    const auth = { authorization: `Bearer ${seeded.scimToken}` };
    const json = { ...auth, 'content-type': 'application/scim+json; charset=utf-8' };
    const ok = (s: number) => s >= 200 && s < 300;
    const pick = (i: number) => (i * 7919) % seeded.userIds.length;
    const opts = { concurrency, maxSeconds, maxOps: 1_000_000, expect: ok };
    // Server CPU per request: unlike ops/s it hardly moves when other work shares the machine, so an A/B of a
    // change in the request path can be read from it on a busy box.
    const cpuPerOp = new Map<string, number>();
    // PostgreSQL's CPU per Roster request (its share of the split), on that store only.
    const pgCpuPerOp = new Map<string, number>();
    const pgData = pg ? join(pg.dir, 'data') : undefined;
    const clientCpuPerOp = new Map<string, number>();
    const run = async (name: string, next: (i: number) => RequestSpec, o = opts, target = origin) => {
      const pid = target === origin ? roster.pid : target.endsWith(`:${barePort}`) ? bare.pid : bareFastify.pid;
      const cpu0 = cpuSeconds(pid);
      const db0 = target === origin ? postgresCpuSeconds(pgData) : undefined;
      const client0 = process.cpuUsage();
      const r = await runLoad(target, name, next, o);
      const client = process.cpuUsage(client0);
      const cpu1 = cpuSeconds(pid);
      const db1 = db0 === undefined ? undefined : postgresCpuSeconds(pgData);
      if (cpu0 !== undefined && cpu1 !== undefined && r.ops > 0) cpuPerOp.set(name, ((cpu1 - cpu0) / r.ops) * 1e6);
      if (db0 !== undefined && db1 !== undefined && r.ops > 0) pgCpuPerOp.set(name, ((db1 - db0) / r.ops) * 1e6);
      // The load generator shares the cores with the server: both figures together bound ops/s on this machine.
      if (r.ops > 0) clientCpuPerOp.set(name, (client.user + client.system) / r.ops);
      results.push(r);
      log(
        `  ${name}: ${r.opsPerSec.toFixed(0)} ops/s, p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms, server CPU ${cpuPerOp.get(name)?.toFixed(0) ?? '?'} µs/op${pgCpuPerOp.has(name) ? ` + PostgreSQL ${pgCpuPerOp.get(name)?.toFixed(0)} µs/op` : ''}, client CPU ${clientCpuPerOp.get(name)?.toFixed(0) ?? '?'} µs/op, errors ${r.errors}`,
      );
      return r;
    };

    log('running workloads…');
    const ceiling = await run(
      'bare node:http (ceiling)',
      () => ({ method: 'GET', path: '/' }),
      opts,
      `http://127.0.0.1:${barePort}`,
    );
    await run(
      'bare Fastify, same JSON (framework floor)',
      () => ({ method: 'GET', path: '/' }),
      opts,
      `http://127.0.0.1:${fastifyPort}`,
    );
    if (want('get'))
      await run('GET /Users/{id}', (i) => ({
        method: 'GET',
        path: `${base}/Users/${seeded.userIds[pick(i)]}`,
        headers: auth,
      }));
    if (want('lookup'))
      await run('GET /Users?filter=userName eq', (i) => ({
        method: 'GET',
        path: `${base}/Users?filter=${encodeURIComponent(`userName eq "${seeded.userNames[pick(i)]}"`)}`,
        headers: auth,
      }));
    if (want('post'))
      await run('POST /Users', (i) => ({
        method: 'POST',
        path: `${base}/Users`,
        body: JSON.stringify(benchUser(users + i)),
        headers: json,
      }));
    if (want('patch'))
      await run('PATCH /Users/{id} (Entra Replace)', (i) => ({
        method: 'PATCH',
        path: `${base}/Users/${seeded.userIds[pick(i)]}`,
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Replace', path: 'displayName', value: `Renamed ${i}` }],
        }),
        headers: json,
      }));

    // Paging through every user, sequentially, as an IdP import does.
    for (const mode of want('paging') ? (['index', 'cursor'] as const) : []) {
      const t0 = performance.now();
      let seen = 0;
      let cursor = '';
      for (let start = 1; ; start += 100) {
        const q = mode === 'index' ? `startIndex=${start}&count=100` : `count=100&cursor=${cursor}`;
        const page = (await (
          await fetch(`${origin}${base}/Users?${q}&excludedAttributes=groups`, { headers: auth })
        ).json()) as {
          Resources: unknown[];
          nextCursor?: string;
        };
        seen += page.Resources.length;
        if (mode === 'cursor') {
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        } else if (page.Resources.length < 100) break;
      }
      const seconds = (performance.now() - t0) / 1000;
      log(`  page through ${seen} users (${mode}, count=100): ${seconds.toFixed(2)} s`);
      results.push({
        name: `page all users (${mode})`,
        ops: seen,
        seconds,
        opsPerSec: seen / seconds,
        p50ms: 0,
        p99ms: 0,
        errors: seen >= users ? 0 : 1,
        statuses: {},
      });
    }

    // Group membership as Entra sends it (no query string): 100-member Add PATCHes into one group, then (after the
    // group reads below, which need the big group) the same members removed in 100-member Remove PATCHes.
    const memberIds = want('members') ? seeded.userIds.slice(0, Math.min(seeded.userIds.length, 100_000)) : [];
    const batches = Math.floor(memberIds.length / 100);
    const group = { id: await createEntraGroup(origin, base, json, 'Everyone') };
    const rosterCpu = () => cpuSeconds(roster.pid);
    const entra = { query: '', label: "(Entra's request)", expected: 204, cpuSeconds: rosterCpu };
    const pass = async (groupId: string, op: 'Add' | 'Remove', how: typeof entra) => {
      const p = await membershipPass(origin, base, json, groupId, memberIds, op, how);
      log(p.line);
      results.push(p.result);
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
      await run('GET /Groups/{id}?excludedAttributes=members (10 members)', () => ({
        method: 'GET',
        path: `${base}/Groups/${small.id}?excludedAttributes=members`,
        headers: auth,
      }));
      await run(`GET /Groups/{id}?excludedAttributes=members (${batches * 100} members)`, () => ({
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

    if (want('sync')) results.push(...(await entraInitialSync(origin, base, auth, json)));

    let signin: { signMicros: number; results: SigninResult[] } | undefined;
    if (signinApp) {
      signin = await runSigninBench({
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
        rosterCpu: () => cpuSeconds(roster.pid),
        entraCpu: () => cpuSeconds(signinApp?.entra.pid),
        log,
      });
      results.push(...signin.results);
    }

    const rss = residentMemory(roster.pid);
    if (rss) log(`  Roster RSS now ${rss.rssMb} MB, peak ${rss.peakMb} MB`);

    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
    const vsSigning = (r: LoadResult) => (r as Partial<SigninResult>).vsSigning;
    const rows = results.map((r) => ({
      workload: r.name,
      'ops/s': Math.round(r.opsPerSec),
      'p50 ms': Number(r.p50ms.toFixed(2)),
      'p99 ms': Number(r.p99ms.toFixed(2)),
      'total s': /^(page|Entra)/.test(r.name) ? Number(r.seconds.toFixed(2)) : '',
      'vs ceiling':
        vsSigning(r) !== undefined
          ? `${vsSigning(r)!.toFixed(1)}× signing`
          : r.opsPerSec > 0
            ? `${((r.opsPerSec / ceiling.opsPerSec) * 100).toFixed(0)} %`
            : '',
      'server CPU µs/op': cpuPerOp.has(r.name)
        ? Math.round(cpuPerOp.get(r.name)!)
        : ((r as Partial<SigninResult>).rosterCpuMicros?.toFixed(0) ?? ''),
      ...(pg ? { 'PostgreSQL CPU µs/op': pgCpuPerOp.has(r.name) ? Math.round(pgCpuPerOp.get(r.name)!) : '' } : {}),
      'client CPU µs/op': clientCpuPerOp.has(r.name) ? Math.round(clientCpuPerOp.get(r.name)!) : '',
      errors: r.errors,
    }));
    console.log(
      `\nRoster bench — store ${args.store}, ${users} users, concurrency ${concurrency}, ${maxSeconds} s per workload\n${machine}`,
    );
    console.table(rows);
    if (signin)
      console.log(
        `Sign-in rows: "vs ceiling" is Roster CPU per op over the jose RS256 signatures Roster must make for it, measured in this run just before each workload (first: ${signin.signMicros.toFixed(0)} µs; see the JSON) (target: refresh grant ≤ 3×).`,
      );
    if (rss) console.log(`Roster RSS at the end: ${rss.rssMb} MB (peak ${rss.peakMb} MB)`);
    if (args.json)
      writeFileSync(
        args.json,
        JSON.stringify(
          {
            store: args.store,
            users,
            concurrency,
            machine,
            rss,
            results,
            cpuMicrosPerOp: Object.fromEntries(cpuPerOp),
            ...(pg ? { postgresCpuMicrosPerOp: Object.fromEntries(pgCpuPerOp) } : {}),
            clientCpuMicrosPerOp: Object.fromEntries(clientCpuPerOp),
            ...(signin
              ? { rs256SignMicros: signin.signMicros, signinRows: Number(args['signin-rows']), purgeRows }
              : {}),
          },
          null,
          2,
        ),
      );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
