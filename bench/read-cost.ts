// `npx tsx bench/read-cost.ts`: Roster's own CPU per SCIM read, in process. Requests are injected (no sockets) one
// after another, so neither the loopback's system calls nor the machine's other work per second enter the figure,
// and an A/B of two builds stays readable on a shared box (run them interleaved: bench/ab-read-cost.sh). Measures
// GET /Users/{id}, `userName eq` and `externalId eq` lookups; prints JSON with CPU µs per request of this process
// (on PostgreSQL the database's own CPU is not in it: `npm run bench` reports that split).
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore } from '../src/store/open-store.ts';
import { benchLocation, benchScimEnv } from './bench-store.ts';
import { benchUser, seed } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    users: { type: 'string', default: '2000' },
    ops: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '1000' },
    // Comma-separated subset of get, userName, externalId (default: all), e.g. to profile one of them.
    only: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const users = Number(args.users);
  const ops = Number(args.ops);
  const { location, dispose } = await benchLocation(args.store, 'roster-readcost-');
  try {
    const secretKey = generateKeyText();
    const seeded = await seed(location, parseKeyring(secretKey), users, () => {});
    const store = await openStore(location);
    const config = loadConfig(benchScimEnv(location, secretKey));
    const app = await createApp({ config, store, keyring: parseKeyring(secretKey), clock: systemClock, logger: false });
    await app.ready();
    const base = `/${seeded.tenantId}/api/scim/v2`;
    const headers = { authorization: `Bearer ${seeded.scimToken}` };
    const pick = (i: number) => (i * 7919) % seeded.userIds.length;
    const externalIdOf = (i: number) => benchUser(i).externalId;
    const workloads: Record<string, (i: number) => string> = {
      get: (i) => `${base}/Users/${seeded.userIds[pick(i)]}`,
      userName: (i) => `${base}/Users?filter=${encodeURIComponent(`userName eq "${seeded.userNames[pick(i)]}"`)}`,
      externalId: (i) => `${base}/Users?filter=${encodeURIComponent(`externalId eq "${externalIdOf(pick(i))}"`)}`,
    };
    const result: Record<string, number> = {};
    const wanted = args.only?.split(',');
    for (const [name, url] of Object.entries(workloads)) {
      if (wanted && !wanted.includes(name)) continue;
      for (let i = 0; i < Number(args.warmup); i++) {
        if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
        await app.inject({ method: 'GET', url: url(i), headers }); // warm-up
      }
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < ops; i++) {
        // Injected requests resolve in microtasks: without a turn of the event loop now and then, the provisioning
        // log's timed flush and SQLite's group commit (setImmediate) never run, their queues grow, and the figure
        // measures the garbage collector walking them.
        if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
        const response = await app.inject({ method: 'GET', url: url(i), headers });
        if (response.statusCode !== 200) throw new Error(`${name}: ${response.statusCode} ${response.body}`);
        if (name !== 'get' && !response.body.includes('"totalResults":1')) throw new Error(`${name}: no match`);
      }
      const cpu = process.cpuUsage(cpu0);
      result[name] = (cpu.user + cpu.system) / ops;
    }
    await app.close();
    await store.close();
    process.stdout.write(`${JSON.stringify({ store: args.store, users, ops, cpuMicrosPerRequest: result })}\n`);
  } finally {
    dispose();
  }
}

await main();
