// `npx tsx bench/round-trips.ts [--store postgres]`: the SQL statements (and, on PostgreSQL, the pool checkouts)
// each SCIM request of an IdP's sync costs, counted exactly at the driver (test/support/query-log.ts), not timed:
// exact counts survive a loaded machine. Each request is injected in process and waited for, then the
// provisioning log is flushed so its batched writes are counted too (amortised per request). Prints per workload
// the fewest statements a request made, with that request's statements in order, then JSON.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore } from '../src/store/open-store.ts';
import { recordQueries } from '../test/support/query-log.ts';
import { benchLocation } from './bench-store.ts';
import { benchUser, seed } from './seed.ts';
import { entraReplaceBody } from './user-requests.ts';

const { values: args } = parseArgs({
  options: { store: { type: 'string', default: 'sqlite' }, ops: { type: 'string', default: '50' } },
});

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BATCH = 100;

let checkouts = 0;
const connect = pg.Pool.prototype.connect as (...a: unknown[]) => unknown;
pg.Pool.prototype.connect = function (this: pg.Pool, ...a: unknown[]) {
  checkouts++;
  return connect.apply(this, a);
} as typeof pg.Pool.prototype.connect;

/** A statement's first words, enough to tell the round trips apart in the table. */
function label(sql: string): string {
  let text = sql.replace(/\s+/g, ' ').trim();
  // Subqueries out, so the statement is named by its own table.
  for (let before = ''; before !== text; ) {
    before = text;
    text = text.replace(/\([^()]*\)/g, '');
  }
  const table = /\b(?:from|into|update)\s+"?(\w+)"?/i.exec(text)?.[1];
  const verb = /^\w+/.exec(text)?.[0]?.toLowerCase() ?? '?';
  return table ? `${verb} ${table}` : text.slice(0, 40).toLowerCase();
}

async function main(): Promise<void> {
  const ops = Number(args.ops);
  const { location, dispose } = await benchLocation(args.store, 'roster-roundtrips-');
  try {
    const secretKey = generateKeyText();
    // Enough users for a distinct 100-member batch per membership request (20 warm-up + `ops` measured).
    const seeded = await seed(location, parseKeyring(secretKey), Math.max(200, BATCH * (20 + ops)), () => {});
    const store = await openStore(location);
    const config = loadConfig({
      ROSTER_SECRET_KEY: secretKey,
      ROSTER_PUBLIC_URL: 'http://127.0.0.1',
      DATABASE_URL: location.kind === 'postgres' ? location.url : `sqlite:${location.path}`,
    });
    const app = await createApp({ config, store, keyring: parseKeyring(secretKey), clock: systemClock, logger: false });
    await app.ready();
    const base = `/${seeded.tenantId}/api/scim/v2`;
    const headers = { authorization: `Bearer ${seeded.scimToken}`, 'content-type': 'application/scim+json' };
    const pick = (i: number) => seeded.userIds[(i * 7919) % seeded.userIds.length];
    const group = await app.inject({
      method: 'POST',
      url: `${base}/Groups`,
      headers,
      payload: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Counted' }),
    });
    const groupId = (group.json() as { id: string }).id;
    /** Entra's membership PATCH of batch i (warm-up 0–19, measured 100… → 20…): 100 users, no query string. */
    const membership = (op: 'Add' | 'Remove') => (i: number) => {
      const from = (i < 100 ? i : i - 80) * BATCH;
      const value = seeded.userIds.slice(from, from + BATCH).map((id) => ({ $ref: null, value: id }));
      return {
        method: 'PATCH' as const,
        url: `${base}/Groups/${groupId}`,
        body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op, path: 'members', value }] }),
      };
    };
    const workloads: Record<string, (i: number) => { method: 'GET' | 'POST' | 'PATCH'; url: string; body?: string }> = {
      'GET /Users/{id}': (i) => ({ method: 'GET', url: `${base}/Users/${pick(i)}` }),
      'GET /Users?filter=userName eq': (i) => ({
        method: 'GET',
        url: `${base}/Users?filter=${encodeURIComponent(`userName eq "${seeded.userNames[(i * 7919) % seeded.userNames.length]}"`)}`,
      }),
      'POST /Users': (i) => ({ method: 'POST', url: `${base}/Users`, body: JSON.stringify(benchUser(10_000 + i)) }),
      'PATCH /Users/{id} (Entra Replace)': (i) => ({
        method: 'PATCH',
        url: `${base}/Users/${pick(i)}`,
        body: entraReplaceBody(i),
      }),
      'GET /Groups/{id}?excludedAttributes=members': () => ({
        method: 'GET',
        url: `${base}/Groups/${groupId}?excludedAttributes=members`,
      }),
      "PATCH /Groups/{id} Add 100 members (Entra's)": membership('Add'),
      "PATCH /Groups/{id} Remove 100 members (Entra's)": membership('Remove'),
    };
    const result: Record<
      string,
      { statements: number; meanStatements: number; checkouts: number; logStatements: number; one: string[] }
    > = {};
    // Start-up background work (purges, re-checks) is let finish first; background pollers (webhook rounds, the
    // feed) may still run now and then, so a request's figure is the median over the requests.
    await new Promise((r) => setTimeout(r, 1_000));
    /** The provisioning log's flush (every 200 ms): waited for, so its statements are counted apart. */
    const logFlushed = async (queries: ReturnType<typeof recordQueries>) => {
      for (let i = 0; i < 100 && !queries.all().some((q) => /scim_log/.test(q.sql)); i++)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
    };
    for (const [name, request] of Object.entries(workloads)) {
      for (let i = 0; i < 20; i++) await app.inject({ ...request(i), headers }); // warm-up: caches filled
      await logFlushed(recordQueries());
      const queries = recordQueries();
      const checkouts0 = checkouts;
      let one: string[] = [];
      const counts: number[] = [];
      for (let i = 0; i < ops; i++) {
        const before = queries.all().length;
        const response = await app.inject({ ...request(100 + i), headers });
        if (response.statusCode >= 300) throw new Error(`${name}: ${response.statusCode} ${response.body}`);
        const mine = queries.all().slice(before);
        counts.push(mine.length);
        if (one.length === 0 || mine.length < one.length) one = mine.map((q) => label(q.sql));
      }
      const checkoutsInRequests = checkouts - checkouts0;
      await logFlushed(queries);
      const logWrites = queries.all().filter((q) => /scim_log/.test(q.sql)).length;
      counts.sort((a, b) => a - b);
      result[name] = {
        // The fewest a request made: background work (webhook rounds, rate-limit leases, the log's flush) lands in
        // some requests' windows on a loaded machine; the mean, with it, is printed beside.
        statements: counts[0] ?? 0,
        meanStatements: counts.reduce((a, b) => a + b, 0) / ops,
        checkouts: checkoutsInRequests / ops,
        logStatements: logWrites / ops,
        one,
      };
    }
    await app.close();
    await store.close();
    for (const [name, r] of Object.entries(result)) {
      process.stderr.write(
        `${args.store} ${name}: ${r.statements} statements (fewest; mean ${r.meanStatements.toFixed(2)}), ${r.checkouts.toFixed(2)} pool checkouts (mean), +${r.logStatements.toFixed(2)} provisioning-log inserts (batched, amortised; each flush adds its BEGIN and COMMIT)\n  ${r.one.join(' → ')}\n`,
      );
    }
    process.stdout.write(`${JSON.stringify({ store: args.store, ops, perRequest: result })}\n`);
  } finally {
    dispose();
  }
}

await main();
