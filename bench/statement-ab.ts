// `npx tsx bench/statement-ab.ts [--store postgres] [--rounds 8] [--ops 500]`: an A/B, in one process, of the
// merged statements of ADR 0045 against the separate statements they replace, through the store's own repositories:
//   read:  users.get + users.groupsOf (two statements)  vs  users.getWithGroups (one);
//   token: scimTokens.get + settings.domainPolicy       vs  scimTokens.getWithDomainPolicy (one).
// On SQLite getWithGroups is the plain read since the merged groups read was measured there and dropped (ADR 0045),
// so the `read` pair means something on PostgreSQL only.
// The sides alternate in blocks of `ops` calls, each side first in half the rounds, so a loaded, shared machine's
// drift falls on both alike. Prints Roster's CPU µs per call of each side per round, then the medians, as JSON.
import { parseArgs } from 'node:util';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { parseToken } from '../src/lib/tokens.ts';
import { openStore } from '../src/store/open-store.ts';
import { median } from './ab-builds.ts';
import { benchLocation } from './bench-store.ts';
import { seed } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    rounds: { type: 'string', default: '8' },
    ops: { type: 'string', default: '500' },
  },
});

async function cpuPerCall(ops: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ops; i++) await call(i);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / ops;
}

async function main(): Promise<void> {
  const ops = Number(args.ops);
  const rounds = Number(args.rounds);
  const { location, dispose } = await benchLocation(args.store, 'roster-stmt-ab-');
  try {
    const keyring = parseKeyring(generateKeyText());
    const seeded = await seed(location, keyring, 2000, () => {});
    const store = await openStore(location);
    const tokenId = parseToken(seeded.scimToken)?.id ?? '';
    const users = store.scim.users;
    const userOf = (i: number) => seeded.userIds[(i * 7919) % seeded.userIds.length] ?? '';
    const pairs = {
      read: {
        separate: async (i: number) => {
          const user = await users.get(seeded.tenantId, userOf(i));
          return users.groupsOf(seeded.tenantId, [user?.id ?? '']);
        },
        merged: (i: number) => users.getWithGroups(seeded.tenantId, userOf(i)),
      },
      token: {
        separate: async () => {
          const token = await store.scimTokens.get(tokenId);
          return store.settings.domainPolicy(token?.tenantId ?? '');
        },
        merged: () => store.scimTokens.getWithDomainPolicy(tokenId),
      },
    };
    const out: Record<string, { separate: number[]; merged: number[] }> = {};
    for (const [name, sides] of Object.entries(pairs)) {
      out[name] = { separate: [], merged: [] };
      for (let i = 0; i < ops; i++) await Promise.all([sides.separate(i), sides.merged(i)]); // warm-up
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['separate', 'merged'] as const) : (['merged', 'separate'] as const);
        for (const side of order) out[name]![side].push(await cpuPerCall(ops, sides[side]));
      }
    }
    await store.close();
    const medians = Object.fromEntries(
      Object.entries(out).map(([name, r]) => [name, { separate: median(r.separate), merged: median(r.merged) }]),
    );
    process.stdout.write(`${JSON.stringify({ store: args.store, ops, rounds, cpuMicrosPerCall: out, medians })}\n`);
  } finally {
    dispose();
  }
}

await main();
