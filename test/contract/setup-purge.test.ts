// Setup links and test sign-ins leave the store SETUP_RETENTION_DAYS after they expire, in bounded batches, across
// tenants, through the same batched purge as expired sign-in state — and Roster runs that purge by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetupStore } from '../../src/core/setup/ports.ts';
import { purgeExpiredSetup, SETUP_RETENTION_DAYS } from '../../src/core/signin/purge-expired.ts';
import { createTenant } from '../../src/core/tenants/tenants.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { startLiveApp } from '../support/app.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-12-01T12:00:00.000Z');
const ago = (days: number, from = NOW) => new Date(from.getTime() - days * DAY).toISOString();
const key = { keyId: 'k1', digest: 'd'.repeat(43) };

let serial = 0;
async function link(setup: SetupStore, tenantId: string, expiresAt: string): Promise<string> {
  const id = `link-${serial++}`;
  await setup.setupLinks.insert({
    id,
    tenantId,
    secret: key,
    createdAt: ago(1, new Date(expiresAt)),
    expiresAt,
    createdBy: 'operator:test',
    usedAt: null,
    revokedAt: null,
  });
  return id;
}

async function testSignIn(setup: SetupStore, tenantId: string, expiresAt: string): Promise<string> {
  const id = `test-${serial++}`;
  await setup.testSignIns.insert({
    id,
    tenantId,
    providerId: 'p1',
    scheme: 'entra',
    startKey: key,
    browserKey: null,
    status: 'pending',
    createdBy: 'admin:test',
    createdAt: ago(1, new Date(expiresAt)),
    expiresAt,
    startedAt: null,
    finishedAt: null,
    outcome: null,
  });
  return id;
}

describe.each(STORE_KINDS)('purging setup links and test sign-ins on %s', (kind) => {
  let t: TestStore;
  let a = '';
  let b = '';
  beforeAll(async () => {
    t = await openTestStore(kind);
    const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
    a = (await createTenant(deps, 'test', { name: 'A' })).tenant.id;
    b = (await createTenant(deps, 'test', { name: 'B' })).tenant.id;
  });
  afterAll(() => t?.dispose());

  it('deletes rows expired more than the retention ago, of every tenant, in batches, and keeps the rest', async () => {
    const setup = t.store.setup;
    const old = ago(SETUP_RETENTION_DAYS + 1);
    const gone = [
      ...(await Promise.all([a, a, a, b].map((tenant) => link(setup, tenant, old)))),
      ...(await Promise.all([a, b, b].map((tenant) => testSignIn(setup, tenant, old)))),
    ];
    const keptLinks = [await link(setup, a, ago(SETUP_RETENTION_DAYS - 1)), await link(setup, b, ago(-1))];
    const keptTests = [await testSignIn(setup, a, ago(SETUP_RETENTION_DAYS - 1)), await testSignIn(setup, b, ago(0))];

    let pauses = 0;
    const removed = await purgeExpiredSetup(setup, NOW, {
      batchSize: 2,
      pause: async () => {
        pauses++;
      },
    });

    expect(removed).toBe(gone.length);
    // 4 links in batches of 2 (2, 2, then an empty one) and 3 test sign-ins (2, then 1): a pause after each full one.
    expect(pauses).toBe(3);
    for (const id of gone.filter((id) => id.startsWith('link-')))
      expect(await setup.setupLinks.get(id)).toBeUndefined();
    for (const id of keptLinks) expect((await setup.setupLinks.get(id))?.id).toBe(id);
    const testsOf = async (tenant: string, ids: string[]) =>
      (await Promise.all(ids.map((id) => setup.testSignIns.get(tenant, id)))).filter((r) => r !== undefined).length;
    expect(await testsOf(a, gone.slice(4))).toBe(0);
    expect(await testsOf(b, gone.slice(4))).toBe(0);
    expect(await testsOf(a, [keptTests[0]!])).toBe(1);
    expect(await testsOf(b, [keptTests[1]!])).toBe(1);
    expect(await purgeExpiredSetup(setup, NOW)).toBe(0);
  });

  it('is part of the purge Roster runs at start and every ROSTER_PURGE_INTERVAL_SECONDS', async () => {
    const now = new Date();
    const oldLink = await link(t.store.setup, a, ago(SETUP_RETENTION_DAYS + 2, now));
    const oldTest = await testSignIn(t.store.setup, b, ago(SETUP_RETENTION_DAYS + 2, now));
    const live = await startLiveApp(t.location, { ROSTER_PURGE_INTERVAL_SECONDS: '1' });
    try {
      await expect.poll(() => t.store.setup.setupLinks.get(oldLink), { timeout: 15_000 }).toBeUndefined();
      await expect.poll(() => t.store.setup.testSignIns.get(b, oldTest), { timeout: 15_000 }).toBeUndefined();
    } finally {
      await live.close();
    }
  });
});
