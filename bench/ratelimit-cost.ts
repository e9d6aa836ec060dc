// `npm run bench:ratelimit`: what the rate limit shared through PostgreSQL costs (ADR 0012). Runs the same
// closed-loop GET load against Roster with per-process limits and with shared ones, counts the statements the
// shared buckets cost (pg_stat_user_tables), and times the claim statement alone. Loopback only.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore } from '../src/store/open-store.ts';
import { postgresRateLimits } from '../src/store/rate-limits.ts';
import { freePort } from '../test/support/free-port.ts';
import { startPostgres } from '../test/support/postgres-server.ts';
import { runLoad } from './load.ts';
import { seed } from './seed.ts';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
  },
});
const log = (s: string) => process.stderr.write(`${s}\n`);

async function statements(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      "select coalesce(sum(n_tup_ins + n_tup_upd), 0) as n from pg_stat_user_tables where relname = 'rate_limit_buckets'",
    );
    return Number(r.rows[0].n);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const server = await startPostgres();
  const secretKey = generateKeyText();
  try {
    const seeded = await seed({ kind: 'postgres', url: server.url }, parseKeyring(secretKey), 1000, () => {});
    const rows: Record<string, string | number>[] = [];
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const scope of ['process', 'cluster'] as const) {
        const port = await freePort();
        const child: ChildProcess = spawn(
          process.execPath,
          ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts')],
          {
            env: {
              ...process.env,
              HOST: '127.0.0.1',
              PORT: String(port),
              DATABASE_URL: server.url,
              ROSTER_SECRET_KEY: secretKey,
              ROSTER_BOOTSTRAP_TOKEN: 'ratelimit-cost-operator-token-0123456789',
              LOG_LEVEL: 'warn',
              ROSTER_RATE_LIMIT_SCOPE: scope,
              // High limits, so nothing is refused and only the cost of counting shows (batch: 100 permits).
              ROSTER_SCIM_RATE_TENANT: '1000000',
              ROSTER_SCIM_BURST_TENANT: '1000000',
              ROSTER_SCIM_RATE_TOKEN: '1000000',
              ROSTER_SCIM_BURST_TOKEN: '1000000',
            },
            stdio: ['ignore', 'ignore', 'inherit'],
          },
        );
        const origin = `http://127.0.0.1:${port}`;
        for (let i = 0; i < 300; i++) {
          try {
            if ((await fetch(`${origin}/healthz`)).ok) break;
          } catch {}
          await new Promise((r) => setTimeout(r, 100));
        }
        const before = await statements(server.url);
        const base = `/${seeded.tenantId}/api/scim/v2`;
        const result = await runLoad(
          origin,
          `GET /Users/{id} (${scope})`,
          (i) => ({
            method: 'GET',
            path: `${base}/Users/${seeded.userIds[(i * 7919) % seeded.userIds.length]}`,
            headers: { authorization: `Bearer ${seeded.scimToken}` },
          }),
          {
            concurrency: Number(args.concurrency),
            maxOps: 1_000_000,
            maxSeconds: Number(args.seconds),
            expect: (s) => s === 200,
          },
        );
        await new Promise<void>((ok) => {
          child.once('exit', () => ok());
          child.kill('SIGTERM');
        });
        await new Promise((r) => setTimeout(r, 1500)); // statistics reach pg_stat_* at backend exit / within 1 s
        const claims = (await statements(server.url)) - before;
        rows.push({
          scope,
          'req/s': Math.round(result.opsPerSec),
          'p50 ms': Number(result.p50ms.toFixed(2)),
          'p99 ms': Number(result.p99ms.toFixed(2)),
          requests: result.ops,
          errors: result.errors,
          'bucket statements': claims,
          'statements / 1,000 requests': Number(((claims / result.ops) * 1000).toFixed(1)),
        });
        log(`  ${scope}: ${JSON.stringify(rows[rows.length - 1])}`);
      }
    }
    console.table(rows);

    // The claim statement on its own, one at a time on one pooled connection.
    const store = await openStore({ kind: 'postgres', url: server.url });
    const limits = postgresRateLimits(store.db);
    const rule = { rate: 500, burst: 1000 };
    for (const [label, keyOf] of [
      ['one hot key', () => 'hot'],
      ['10,000 keys', (i: number) => `k${i % 10_000}`],
    ] as const) {
      const n = 3000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await limits.claim('bench', keyOf(i), rule, 25, Date.now());
      const us = ((performance.now() - t0) / n) * 1000;
      console.log(`claim statement, ${label}: ${us.toFixed(0)} µs per claim (sequential, loopback)`);
    }
    await store.close();
  } finally {
    server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
