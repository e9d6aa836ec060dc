// The passkey and WebAuthn challenge repositories (migration 0016, ADR 0042) on both stores: a credential id is
// unique per tenant but the same id in another tenant is another credential; lookups never cross tenants; the
// counter moves by compare-and-set; a challenge is taken once; a user's deletion over SCIM takes their passkeys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PasskeyRecord } from '../../src/core/credentials/passkey-ports.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { entraUser, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const AT = '2026-11-23T10:00:00.000Z';

describe.each(STORE_KINDS)('passkey store (%s)', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;
  let userA: string;
  let userB: string;

  const passkey = (tenantId: string, userId: string, id: string, credentialId: string): PasskeyRecord => ({
    tenantId,
    id,
    userId,
    credentialId,
    publicKey: 'pQECAyYgASFYIA',
    signCount: 0,
    transports: ['internal', 'hybrid'],
    deviceType: 'singleDevice',
    backedUp: false,
    name: 'Laptop',
    createdAt: AT,
    lastUsedAt: null,
  });

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'A');
    b = await scimTenant(t.app, 'B');
    const made = async (tenant: ScimTenant, userName: string) => {
      const res = await scim(t.app, tenant, 'POST', `${tenant.base}/Users`, entraUser(userName, `ext-${userName}`));
      expect(res.statusCode).toBe(201);
      return res.json().id as string;
    };
    userA = await made(a, 'ada@a.example');
    userB = await made(b, 'bob@b.example');
  }, 60_000);
  afterAll(async () => t?.dispose());

  it('scopes credentials to their tenant, with the counter moved by compare-and-set', async () => {
    const { passkeys } = t.db.store.passkeys;
    expect(await passkeys.insert(passkey(a.tenantId, userA, 'p1', 'cred-1'))).toBe(true);
    expect(await passkeys.insert(passkey(a.tenantId, userA, 'p2', 'cred-1'))).toBe(false);
    // The same credential id in another tenant is another row, and neither tenant sees the other's.
    expect(await passkeys.insert(passkey(b.tenantId, userB, 'p1', 'cred-1'))).toBe(true);
    expect((await passkeys.byCredentialId(a.tenantId, 'cred-1'))?.userId).toBe(userA);
    expect((await passkeys.byCredentialId(b.tenantId, 'cred-1'))?.userId).toBe(userB);
    expect(await passkeys.byCredentialId(b.tenantId, 'cred-2')).toBeUndefined();
    expect((await passkeys.listForUser(a.tenantId, userA)).map((p) => p.transports)).toEqual([['internal', 'hybrid']]);

    const use = { signCount: 5, backedUp: true, at: '2026-11-23T10:01:00.000Z' };
    expect(await passkeys.recordUse(a.tenantId, 'p1', 0, use)).toBe(true);
    expect(await passkeys.recordUse(a.tenantId, 'p1', 0, { ...use, signCount: 6 })).toBe(false);
    const after = await passkeys.byCredentialId(a.tenantId, 'cred-1');
    expect([after?.signCount, after?.backedUp, after?.lastUsedAt]).toEqual([5, true, use.at]);
    expect((await passkeys.byCredentialId(b.tenantId, 'cred-1'))?.signCount).toBe(0);

    expect(await passkeys.rename(b.tenantId, userB, 'p1', 'Stolen')).toBe(true);
    expect(await passkeys.rename(a.tenantId, userB, 'p1', 'Crossed')).toBe(false);
    expect((await passkeys.byCredentialId(a.tenantId, 'cred-1'))?.name).toBe('Laptop');
    expect(await passkeys.delete(a.tenantId, userB, 'p1')).toBe(false);
  });

  it('spends a challenge once and purges expired ones', async () => {
    const { challenges } = t.db.store.passkeys;
    const c = { purpose: 'authenticate' as const, boundTo: 'uid-1' };
    await challenges.insert({
      tenantId: a.tenantId,
      challenge: 'ch-live',
      expiresAt: '2026-11-23T10:05:00.000Z',
      ...c,
    });
    await challenges.insert({ tenantId: a.tenantId, challenge: 'ch-old', expiresAt: '2026-11-23T09:55:00.000Z', ...c });
    expect(await challenges.take(b.tenantId, 'ch-live')).toBeUndefined();
    const [first, second] = await Promise.all([
      challenges.take(a.tenantId, 'ch-live'),
      challenges.take(a.tenantId, 'ch-live'),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await challenges.purgeExpired(AT, 100)).toBe(1);
    expect(await challenges.take(a.tenantId, 'ch-old')).toBeUndefined();
  });

  it("deletes a user's passkeys with the user", async () => {
    const res = await scim(t.app, a, 'DELETE', `${a.base}/Users/${userA}`);
    expect(res.statusCode).toBe(204);
    expect(await t.db.store.passkeys.passkeys.byCredentialId(a.tenantId, 'cred-1')).toBeUndefined();
    expect(await t.db.store.passkeys.passkeys.byCredentialId(b.tenantId, 'cred-1')).toBeDefined();
  });
});
