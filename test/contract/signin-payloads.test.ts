// The OpenID Provider's stored state at scale (ADR 0027): every query the adapter sends is an index search on both
// stores, so a token request costs the same at 1,000,000 stored sessions, grants and refresh tokens as at 1,000;
// and expired rows leave in bounded batches — expired ones go, live and non-expiring ones stay.

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredSignIn } from '../../src/core/signin/purge-expired.ts';
import { createTenant } from '../../src/core/tenants/tenants.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { adapterFor } from '../../src/oidc/adapter.ts';
import { recordQueries } from '../support/query-log.ts';
import { queryPlan } from '../support/query-plan.ts';
import { insertPayloadRows, syntheticTemplates } from '../support/signin-rows.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

const now = () => Math.floor(Date.now() / 1000);
/** A walk over the table: SQLite says SCAN, PostgreSQL "Seq Scan". */
const TABLE_WALK = /\bSCAN oidc_payloads\b|Seq Scan/;

describe.each(STORE_KINDS)('sign-in payloads on %s', (kind) => {
  let t: TestStore;
  let tenantId = '';
  let otherTenant = '';
  const countWhere = async (where: ReturnType<typeof sql>) =>
    Number(
      (await sql<{ n: number }>`select count(*) as n from oidc_payloads where ${where}`.execute(t.store.db)).rows[0]!.n,
    );

  const explain = (statement: { sql: string; parameters: readonly unknown[] }) =>
    queryPlan(t.store.db, kind, statement);

  beforeAll(async () => {
    t = await openTestStore(kind);
    const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
    tenantId = (await createTenant(deps, 'test', { name: 'Sign-in state' })).tenant.id;
    otherTenant = (await createTenant(deps, 'test', { name: 'Other' })).tenant.id;
    // Enough live rows that walking the table would cost more than an index search; PostgreSQL plans from
    // statistics, so it gets them as autovacuum would give them.
    await insertPayloadRows(t.store.db, tenantId, syntheticTemplates('app', 'x', now()), 2000, now() + 3600);
    if (kind === 'postgres') await sql`analyze oidc_payloads`.execute(t.store.db);
  });
  afterAll(() => t?.dispose());

  it('finds, consumes and revokes through the primary key and the uid, grant and account indexes', async () => {
    const [session, , refresh] = syntheticTemplates('app', 'acct-plans', now());
    const p = t.store.signin.payloads;
    await p.upsert(tenantId, 'Session', 's-1', session!.payload, now() + 60);
    await p.upsert(tenantId, 'RefreshToken', 'r-1', refresh!.payload, now() + 60);
    const calls: [string, () => Promise<unknown>, RegExp][] = [
      ['find', () => p.find(tenantId, 'RefreshToken', 'r-1'), /oidc_payloads_pk|sqlite_autoindex_oidc_payloads_1/],
      ['findByUid', () => p.findByUid(tenantId, 'Session', String(session!.payload.uid)), /oidc_payloads_uid/],
      ['consume', () => p.consume(tenantId, 'RefreshToken', 'r-1', now()), /oidc_payloads_pk|sqlite_autoindex/],
      ['destroy', () => p.destroy(tenantId, 'Session', 's-1'), /oidc_payloads_pk|sqlite_autoindex/],
      ['revokeByGrantId', () => p.revokeByGrantId(tenantId, String(refresh!.payload.grantId)), /oidc_payloads_grant/],
      ['revokeByAccount', () => p.revokeByAccount(tenantId, 'acct-plans'), /oidc_payloads_account/],
      ['purgeExpired', () => p.purgeExpired(now() - 86_400, 10), /oidc_payloads_expiry/],
    ];
    for (const [name, run, index] of calls) {
      const log = recordQueries();
      await run();
      const statement = log.all().find((q) => /oidc_payloads/.test(q.sql));
      expect(statement, name).toBeDefined();
      const plan = await explain(statement!);
      expect(plan, `${name}: ${plan}`).toMatch(index);
      expect(plan, `${name}: ${plan}`).not.toMatch(TABLE_WALK);
    }
  });

  it('reads a refresh token with its grant and subject in one statement, by primary key, inside its tenant', async () => {
    const accountId = 'acct-joined';
    const [, grant, refresh] = syntheticTemplates('app', accountId, now());
    const grantId = String(refresh!.payload.grantId);
    const p = t.store.signin.payloads;
    const subject = (tenant: string, userName: string) => ({
      tenantId: tenant,
      id: accountId,
      data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true },
      version: 1,
      createdAt: '2026-12-01T00:00:00.000Z',
      lastModified: '2026-12-01T00:00:00.000Z',
      createdByToken: null,
      provider: null,
      passwordHash: null,
    });
    await t.store.scim.users.insert(subject(tenantId, 'joined@contoso.com'));
    await t.store.scim.users.insert(subject(otherTenant, 'other@fabrikam.com'));
    await p.upsert(tenantId, 'RefreshToken', 'r-joined', refresh!.payload, now() + 60);
    await p.upsert(tenantId, 'Grant', grantId, grant!.payload, now() + 60);
    // The same grant id in another tenant is never the token's grant.
    await p.upsert(otherTenant, 'Grant', grantId, { ...grant!.payload, clientId: 'foreign' }, now() + 60);

    const log = recordQueries();
    const read = await p.findWithGrant(tenantId, 'RefreshToken', 'r-joined');
    const statements = log.all().filter((q) => /oidc_payloads|scim_users/.test(q.sql));
    expect(statements).toHaveLength(1);
    expect(read?.token).toEqual(await p.find(tenantId, 'RefreshToken', 'r-joined'));
    expect(read?.grant).toEqual(await p.find(tenantId, 'Grant', grantId));
    expect(read?.grant?.clientId).toBe('app');
    expect(read?.subject?.tenantId).toBe(tenantId);
    expect(read?.subject?.data.userName).toBe('joined@contoso.com');
    const plan = await explain(statements[0]!);
    expect(plan).toMatch(/oidc_payloads_pk|sqlite_autoindex_oidc_payloads_1/);
    expect(plan).not.toMatch(TABLE_WALK);

    // Another tenant's token is not found, an expired grant reads as gone, a revoked one as gone.
    expect(await p.findWithGrant(otherTenant, 'RefreshToken', 'r-joined')).toBeUndefined();
    await p.upsert(tenantId, 'Grant', grantId, grant!.payload, now() - 1);
    expect((await p.findWithGrant(tenantId, 'RefreshToken', 'r-joined'))?.grant).toBeUndefined();
    await p.destroy(tenantId, 'Grant', grantId);
    const revoked = await p.findWithGrant(tenantId, 'RefreshToken', 'r-joined');
    expect(revoked?.grant).toBeUndefined();
    expect(revoked?.subject?.id).toBe(accountId);
  });

  it('consumes a single-use row once: of racing consumes exactly one succeeds, and a foreign tenant consumes nothing', async () => {
    const [, , refresh] = syntheticTemplates('app', 'acct-race', now());
    const p = t.store.signin.payloads;
    await p.upsert(tenantId, 'RefreshToken', 'r-race', refresh!.payload, now() + 60);
    expect(await p.consume(otherTenant, 'RefreshToken', 'r-race', now())).toBe(false);
    const results = await Promise.all([1, 2, 3].map(() => p.consume(tenantId, 'RefreshToken', 'r-race', now())));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await p.find(tenantId, 'RefreshToken', 'r-race'))?.consumed).toBeTypeOf('number');
    expect(await p.consume(tenantId, 'RefreshToken', 'no-such-token', now())).toBe(false);
  });

  it('a redemption that loses the consume race is invalid_grant, and the grant it came from is revoked', async () => {
    const [, , refresh] = syntheticTemplates('app', 'acct-lost', now());
    const grantId = String(refresh!.payload.grantId);
    const p = t.store.signin.payloads;
    await p.upsert(tenantId, 'RefreshToken', 'r-lost', refresh!.payload, now() + 60);
    await p.upsert(tenantId, 'RefreshToken', 'r-sibling', refresh!.payload, now() + 60);
    const Adapter = adapterFor(t.store.signin, parseKeyring(generateKeyText()), tenantId);
    const tokens = new Adapter('RefreshToken');
    // Both redemptions found the row unconsumed (oidc-provider's check passed); the first consume wins.
    await tokens.consume('r-lost');
    await expect(tokens.consume('r-lost')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await p.find(tenantId, 'RefreshToken', 'r-sibling')).toBeUndefined();
    expect(await p.find(tenantId, 'RefreshToken', 'r-lost')).toBeUndefined();
    expect(grantId).not.toBe('undefined');
  });

  it('purges every expired row in bounded batches, yielding between them, and keeps live ones', async () => {
    const at = now();
    const templates = syntheticTemplates('app', 'x', at);
    await insertPayloadRows(t.store.db, tenantId, templates, 40, at - 10);
    await insertPayloadRows(t.store.db, otherTenant, templates, 30, at - 1);
    await insertPayloadRows(t.store.db, otherTenant, templates, 5, at + 3600);
    const live = await countWhere(sql`expires_at > ${at}`);
    await t.store.signin.payloads.upsert(tenantId, 'Session', 'never-expires', { kind: 'Session' }, null);
    expect(await countWhere(sql`expires_at <= ${at}`)).toBe(210);

    const batches: number[] = [];
    const payloads = {
      purgeExpired: async (cutoff: number, limit: number) => {
        const n = await t.store.signin.payloads.purgeExpired(cutoff, limit);
        batches.push(n);
        return n;
      },
    };
    let pauses = 0;
    const removed = await purgeExpiredSignIn(payloads, at, {
      batchSize: 25,
      pause: async () => {
        pauses++;
      },
    });

    expect(removed).toBe(210);
    // 210 rows in batches of at most 25: eight full ones, then the 10 left, with a pause after each full one.
    expect(batches).toEqual([25, 25, 25, 25, 25, 25, 25, 25, 10]);
    expect(pauses).toBe(8);
    expect(await countWhere(sql`expires_at <= ${at}`)).toBe(0);
    expect(await countWhere(sql`expires_at > ${at}`)).toBe(live);
    expect(await countWhere(sql`id = 'never-expires'`)).toBe(1);
    expect(await purgeExpiredSignIn(t.store.signin.payloads, at)).toBe(0);
  });
});
