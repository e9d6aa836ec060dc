// `npx tsx bench/write-path.ts [--clients 16] [--seconds 2] [--rounds 4] [--json file]`: the SQLite write path alone, in one
// process, without HTTP: `clients` concurrent loops each calling the SCIM create and PATCH use cases (with their
// events) through the group committer. Reports writes/s, this process's CPU µs per write, commits/s, the average
// batch, and the wall µs the event loop spent blocked inside COMMIT (the WAL write and its fsync).
//
// Two sides run in alternation in the same process, so the shared machine's load hits both alike: `per batch`
// is the store as Roster opens it (the SCIM repositories made once per batch, ADR 0026) and `per transaction`
// a second committer on the same connection that makes them for every transaction, as before.
import { parseArgs } from 'node:util';
import type { ScimCaller, ScimDeps } from '../src/core/scim/context.ts';
import type { ScimRepositories, ScimStore } from '../src/core/scim/ports.ts';
import { createUser, patchUser } from '../src/core/scim/users.ts';
import { systemClock } from '../src/lib/clock.ts';
import { newId } from '../src/lib/ids.ts';
import { GroupCommitter } from '../src/store/group-commit.ts';
import { createScimRepositories } from '../src/store/scim/scim-repositories.ts';
import { isSqliteUniqueViolation } from '../src/store/sqlite.ts';
import { openBenchStore } from './bench-store.ts';
import { benchUser } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '2' },
    // Even, so that each side runs first equally often.
    rounds: { type: 'string', default: '4' },
    json: { type: 'string' },
  },
});
const clients = Number(args.clients);
const seconds = Number(args.seconds);

const bench = await openBenchStore('sqlite', 'roster-write-path-');
const { store } = bench;
const tenantId = newId();
await store.tenants.insert({ id: tenantId, name: 'Bench', createdAt: new Date().toISOString() });
const caller: ScimCaller = { tenantId, tokenId: 'bench-token', provider: 'bench' };

const dialect = { dialect: 'sqlite', isUniqueViolation: isSqliteUniqueViolation } as const;
const perTransaction = new GroupCommitter(store.db, (conn) => conn);
const sides: Record<string, { scim: ScimStore; commits: () => number; commitMs: () => number }> = {
  'per batch': {
    scim: store.scim,
    commits: () => store.groupCommits() ?? 0,
    commitMs: () => store.groupCommitMs() ?? 0,
  },
  'per transaction': {
    scim: {
      ...store.scim,
      transaction: <T>(work: (tx: ScimRepositories) => Promise<T>) =>
        perTransaction.run((conn) => work(createScimRepositories(conn, dialect))),
    },
    commits: () => perTransaction.commits,
    commitMs: () => perTransaction.commitMs,
  },
};

let next = 0;
const ids: string[] = [];
const patchBody = (k: number) => ({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [{ op: 'Replace', path: 'displayName', value: `Renamed ${k}` }],
});
const workloads = {
  create: async (deps: ScimDeps) => {
    ids.push((await createUser(deps, caller, benchUser(next++))).id);
  },
  patch: async (deps: ScimDeps, k: number) => {
    await patchUser(deps, caller, ids[(k * 7919) % ids.length]!, patchBody(k), undefined);
  },
};

async function run(side: string, name: keyof typeof workloads) {
  const { scim, commits, commitMs } = sides[side]!;
  const deps: ScimDeps = { scim, clock: systemClock, publicUrl: 'https://roster.example' };
  const work = workloads[name];
  const [commits0, commitMs0] = [commits(), commitMs()];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) await work(deps, done++);
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const batches = commits() - commits0;
  return {
    side,
    workload: name,
    writesPerSec: Math.round(done / wall),
    cpuMicrosPerWrite: Math.round((cpu.user + cpu.system) / done),
    batch: Number((done / batches).toFixed(1)),
    commitMicros: Math.round(((commitMs() - commitMs0) * 1000) / batches),
  };
}

const results = [];
// Round 0 warms the JIT and statement caches; it is not reported.
for (let round = 0; round <= Number(args.rounds); round++) {
  const order = round % 2 === 0 ? ['per batch', 'per transaction'] : ['per transaction', 'per batch'];
  for (const name of ['create', 'patch'] as const)
    for (const side of order) {
      const r = await run(side, name);
      if (round > 0) results.push({ round, ...r });
    }
}
console.table(results);
// The mean over the rounds, not the median: each side runs first in half of them, and the first run after the
// creates pays for their garbage and the WAL they left, so only the mean cancels that order effect.
const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
for (const name of ['create', 'patch'])
  for (const side of Object.keys(sides)) {
    const rows = results.filter((r) => r.side === side && r.workload === name);
    console.log(
      `${name.padEnd(6)} ${side.padEnd(16)} mean CPU ${mean(rows.map((r) => r.cpuMicrosPerWrite))} µs/write, ` +
        `${mean(rows.map((r) => r.writesPerSec))} writes/s, COMMIT ${mean(rows.map((r) => r.commitMicros))} µs ` +
        `(CPU per round: ${rows.map((r) => r.cpuMicrosPerWrite).join(', ')})`,
    );
  }
if (args.json) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(args.json, `${JSON.stringify({ clients, seconds, results }, null, 2)}\n`);
}
await bench.dispose();
