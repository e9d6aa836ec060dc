// `npx tsx bench/read-cost-ab.ts --before DIR [--store postgres] [--only userName,externalId] [--rounds 8]
// [--ops 500]`: an A/B of Roster's CPU per SCIM read between two builds, IN ONE PROCESS. DIR is the root of another
// checkout of Roster (e.g. `git archive <commit> | tar -x -C DIR`, with node_modules linked): its createApp and this
// tree's run side by side on one seeded store, and their requests alternate in blocks of `ops` (each side first in
// half the rounds), so a shared machine's load, which swings within seconds, falls on both alike — separate runs
// minutes apart on a loaded box differ by more than the effect being measured. Workloads as in read-cost.ts, and
// `post`, `patch` and `delete`, user writes (ADR 0057). Prints
// CPU µs per request of each side per round, then the medians and each round's after/before ratio, as JSON.
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { median, withSeededBuilds } from './ab-builds.ts';
import { benchUser } from './seed.ts';
import { entraReplaceBody } from './user-requests.ts';

const { values: args } = parseArgs({
  options: {
    before: { type: 'string' },
    store: { type: 'string', default: 'sqlite' },
    users: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '8' },
    ops: { type: 'string', default: '500' },
    only: { type: 'string', default: 'get,userName,externalId' },
  },
});

async function main(): Promise<void> {
  const ops = Number(args.ops);
  const rounds = Number(args.rounds);
  const options = { before: args.before, store: args.store, users: Number(args.users), prefix: 'roster-readcost-ab-' };
  await withSeededBuilds(options, async (apps, seeded) => {
    const base = `/${seeded.tenantId}/api/scim/v2`;
    const headers = { authorization: `Bearer ${seeded.scimToken}` };
    const pick = (i: number) => (i * 7919) % seeded.userIds.length;
    // Groups of 10 members, for Entra's `GET /Groups/{id}?excludedAttributes=members` (workload `group`).
    const groupIds: string[] = [];
    for (let g = 0; g < 20; g++) {
      const members = seeded.userIds.slice(g * 10, g * 10 + 10).map((value) => ({ value }));
      const payload = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `AB ${g}`, members };
      const created = await apps[0]!.app.inject({
        method: 'POST',
        url: `${base}/Groups`,
        headers: { ...headers, 'content-type': 'application/scim+json' },
        payload: JSON.stringify(payload),
      });
      groupIds.push(JSON.parse(created.body).id);
    }
    type Request = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: string };
    const get =
      (url: (i: number) => string) =>
      (i: number): Request => ({ method: 'GET', url: url(i) });
    const workloads: Record<string, (i: number) => Request> = {
      get: get((i) => `${base}/Users/${seeded.userIds[pick(i)]}`),
      group: get((i) => `${base}/Groups/${groupIds[i % groupIds.length]}?excludedAttributes=members`),
      userName: get((i) => `${base}/Users?filter=${encodeURIComponent(`userName eq "${seeded.userNames[pick(i)]}"`)}`),
      externalId: get(
        (i) => `${base}/Users?filter=${encodeURIComponent(`externalId eq "${benchUser(pick(i)).externalId}"`)}`,
      ),
      // Writes (ADR 0057): a create of a new user (distinct names across sides and rounds), and Entra's PATCH of
      // one attribute of an existing user.
      post: (i) => ({ method: 'POST', url: `${base}/Users`, payload: JSON.stringify(benchUser(1_000_000 + i)) }),
      patch: (i) => ({
        method: 'PATCH',
        url: `${base}/Users/${seeded.userIds[pick(i)]}`,
        payload: entraReplaceBody(i),
      }),
    };
    // Each seeded user deleted once (run alone, with --users ≥ 2 × ops × (rounds + 1)).
    workloads.delete = (i) => {
      const id = seeded.userIds[i];
      if (id === undefined) throw new Error('delete: too few users; raise --users');
      return { method: 'DELETE', url: `${base}/Users/${id}` };
    };
    const writeHeaders = { ...headers, 'content-type': 'application/scim+json' };
    /** Request numbers never repeat across blocks, so creates never collide. */
    let next = 0;
    const block = async (app: FastifyInstance, name: string, request: (i: number) => Request) => {
      const from = next;
      next += ops;
      const cpu0 = process.cpuUsage();
      for (let i = from; i < from + ops; i++) {
        // As read-cost.ts: turn the event loop now and then, so the log flush and group commit run.
        if (i % 64 === 0) await new Promise((r) => setImmediate(r));
        const r = request(i);
        const response = await app.inject({ ...r, headers: r.payload === undefined ? headers : writeHeaders });
        if (response.statusCode >= 300) throw new Error(`${name}: ${response.statusCode} ${response.body}`);
      }
      const cpu = process.cpuUsage(cpu0);
      return (cpu.user + cpu.system) / ops;
    };
    const result: Record<string, { before: number[]; after: number[]; ratio: number[] }> = {};
    for (const name of args.only.split(',')) {
      const request = workloads[name];
      if (!request)
        throw new Error(`--only: unknown workload ${name} (get, group, userName, externalId, post, patch, delete)`);
      for (const { app } of apps) await block(app, name, request); // warm-up: shapes compiled, JIT settled
      const r = { before: [] as number[], after: [] as number[], ratio: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? apps : [...apps].reverse();
        const got: Record<string, number> = {};
        for (const { side, app } of order) got[side] = await block(app, name, request);
        r.before.push(Math.round(got.before!));
        r.after.push(Math.round(got.after!));
        r.ratio.push(Math.round((got.after! / got.before!) * 1000) / 1000);
      }
      result[name] = r;
      process.stderr.write(`${name}: ${JSON.stringify(r)}\n`);
    }
    const medians = Object.fromEntries(
      Object.entries(result).map(([name, r]) => [
        name,
        { before: median(r.before), after: median(r.after), ratio: median(r.ratio) },
      ]),
    );
    process.stdout.write(`${JSON.stringify({ store: args.store, ops, rounds, perRound: result, medians })}\n`);
  });
}

await main();
