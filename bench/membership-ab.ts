// `npx tsx bench/membership-ab.ts --before DIR [--store postgres] [--users 40000] [--op Add]`: an A/B of Roster's
// cost per Entra 100-member membership PATCH (`PATCH /Groups/{id}`, no query string, 204) between two builds, IN ONE
// PROCESS. DIR is the root of another checkout (`git archive <commit> | tar -x -C DIR`, node_modules linked). Each
// build adds the seeded users to its own group in batches of 100 (with `--op Remove`, first adds, then removes them);
// the two alternate batch by batch, each first in half the pairs, so a shared machine's swings fall on both alike.
// Prints each side's median CPU and wall per batch, and the median after/before ratio over the pairs, as JSON.
import { parseArgs } from 'node:util';
import { type AbApp, median, withSeededBuilds } from './ab-builds.ts';

const { values: args } = parseArgs({
  options: {
    before: { type: 'string' },
    store: { type: 'string', default: 'sqlite' },
    users: { type: 'string', default: '40000' },
    op: { type: 'string', default: 'Add' },
    warmup: { type: 'string', default: '40' },
  },
});

const BATCH = 100;

async function main(): Promise<void> {
  if (args.op !== 'Add' && args.op !== 'Remove') throw new Error('--op Add or Remove');
  const options = {
    before: args.before,
    store: args.store,
    users: Number(args.users),
    prefix: 'roster-membership-ab-',
  };
  await withSeededBuilds(options, async (apps, seeded) => {
    const base = `/${seeded.tenantId}/api/scim/v2`;
    const headers = { authorization: `Bearer ${seeded.scimToken}`, 'content-type': 'application/scim+json' };
    const send = async (side: AbApp, method: 'POST' | 'PATCH', url: string, body: unknown) => {
      const response = await side.app.inject({ method, url, headers, payload: JSON.stringify(body) });
      if (response.statusCode >= 300) throw new Error(`${side.side}: ${response.statusCode} ${response.body}`);
      return response;
    };
    const groups = new Map<AbApp, string>();
    for (const side of apps) {
      const group = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `AB ${side.side}` };
      groups.set(side, (await send(side, 'POST', `${base}/Groups`, group)).json().id);
    }
    // Entra's exact request: a PatchOp of one operation on `members`, 100 `{ value }` entries, no query string.
    const batch = (op: string, i: number) => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op, path: 'members', value: seeded.userIds.slice(i * BATCH, (i + 1) * BATCH).map((value) => ({ value })) },
      ],
    });
    const batches = Math.floor(seeded.userIds.length / BATCH);
    if (args.op === 'Remove') {
      for (const side of apps)
        for (let i = 0; i < batches; i++)
          await send(side, 'PATCH', `${base}/Groups/${groups.get(side)}`, batch('Add', i));
    }
    const cpu = { before: [] as number[], after: [] as number[] };
    const wall = { before: [] as number[], after: [] as number[] };
    for (let i = 0; i < batches; i++) {
      const order = i % 2 === 0 ? apps : [...apps].reverse();
      for (const side of order) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await send(side, 'PATCH', `${base}/Groups/${groups.get(side)}`, batch(args.op, i));
        const c = process.cpuUsage(c0);
        if (i < Number(args.warmup)) continue;
        cpu[side.side].push((c.user + c.system) / 1000);
        wall[side.side].push(performance.now() - t0);
      }
    }
    const pairs = (xs: { before: number[]; after: number[] }) => {
      const ratios = xs.after.map((x, i) => x / (xs.before[i] as number));
      return {
        beforeMs: Math.round(median(xs.before) * 1000) / 1000,
        afterMs: Math.round(median(xs.after) * 1000) / 1000,
        ratio: Math.round(median(ratios) * 1000) / 1000,
        afterLowerIn: `${ratios.filter((r) => r < 1).length} of ${ratios.length}`,
      };
    };
    const result = { store: args.store, op: args.op, users: seeded.userIds.length, cpu: pairs(cpu), wall: pairs(wall) };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
}

await main();
