// CI-sized runs of the load scenarios (security plan L1, L2; the full ones are `npm run load`): open-loop
// Entra-shaped traffic over real HTTP on loopback, then the ledger reconciliation, which must also catch a write
// the server lost. Latency bars are benchmark figures and not asserted here.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, type Target } from '../../bench/scenarios/client.ts';
import { runL1 } from '../../bench/scenarios/l1.ts';
import { runL2 } from '../../bench/scenarios/l2.ts';
import { reconcile } from '../../bench/scenarios/reconcile.ts';
import { printResult, type ScenarioResult } from '../../bench/scenarios/report.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { OPERATOR_TOKEN } from '../support/app.ts';
import { openTestStore, STORE_KINDS, type StoreKind, type TestStore } from '../support/stores.ts';

interface Running {
  readonly app: FastifyInstance;
  readonly db: TestStore;
  readonly target: Target;
  readonly client: Client;
}

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.client.close();
    await r.app.close();
    await r.db.dispose();
  }
});

async function serve(kind: StoreKind, env: Record<string, string> = {}): Promise<Running> {
  const db = await openTestStore(kind);
  const secretKey = generateKeyText();
  const config = loadConfig({
    ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
    ROSTER_SECRET_KEY: secretKey,
    DATABASE_URL: db.location.kind === 'sqlite' ? `sqlite:${db.location.path}` : db.location.url,
    ...env,
  });
  // The real clock: rate limits refill as time passes during the run.
  const app = await createApp({
    config,
    store: db.store,
    keyring: parseKeyring(secretKey),
    clock: systemClock,
    logger: false,
  });
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  const target = { origins: [origin], operatorToken: OPERATOR_TOKEN };
  const r = { app, db, target, client: new Client(target, 32) };
  running.push(r);
  return r;
}

/** Every criterion except latency bars (no timed assertions for speed in the suite). */
function failed(result: ScenarioResult): string[] {
  return result.criteria.filter((c) => !c.pass && !/p99|ms\b/.test(c.name)).map((c) => `${c.name}: ${c.detail}`);
}

describe.each(STORE_KINDS)('load scenarios, CI-sized (%s)', (kind) => {
  it('L1: three tenants at 25 req/s for 4 s, no error, every acknowledged write reconciled; a lost write is caught', async () => {
    const r = await serve(kind);
    const result = await runL1(r.client, r.target, { tenants: 3, rate: 25, seconds: 4, seedUsers: 60 });
    expect(failed(result)).toEqual([]);
    if (process.env.LOAD_SMOKE_PRINT) printResult(result);
    expect(Number(result.figures['all requests'])).toBeGreaterThan(150);

    // The reconciliation is not vacuous: delete one acknowledged user behind the server's back, and record in the
    // ledger a rename the server never acknowledged; both must be reported as lost.
    const ledger = result.ledgers![0]!;
    const [gone, renamed] = [...ledger.users.keys()];
    await r.db.store.db.deleteFrom('scim_users').where('id', '=', gone!).execute();
    ledger.users.get(renamed!)!.displayName = 'A name the server never acknowledged';
    const check = await reconcile(r.client, ledger);
    expect(check.lostWrites).toBeGreaterThanOrEqual(2);
    expect(check.problems.join('\n')).toContain(`user ${gone} (`);
    expect(check.problems.join('\n')).toContain(`user ${renamed} displayName`);
  });

  it('L2: a tenant at 5× its limit gets 429 + Retry-After and is held to it; the others are all served', async () => {
    const r = await serve(kind, { ROSTER_SCIM_RATE_TENANT: '20', ROSTER_SCIM_BURST_TENANT: '20' });
    const result = await runL2(r.client, r.target, {
      tenants: 3,
      rate: 10,
      limit: { rate: 20, burst: 20 },
      seconds: 3,
      seedUsers: 12,
    });
    expect(failed(result)).toEqual([]);
    if (process.env.LOAD_SMOKE_PRINT) printResult(result);
  });
});
