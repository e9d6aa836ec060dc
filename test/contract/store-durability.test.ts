// The store's durability and isolation settings, checked on the live connections of both dialects.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { openStore } from '../../src/store/open-store.ts';
import { freshLocation, openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

describe('SQLite durability settings', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore('sqlite');
  });
  afterAll(() => t?.dispose());

  it('runs in WAL mode with synchronous=FULL and foreign keys on', async () => {
    const q = async (pragma: string) => (await sql.raw(`pragma ${pragma}`).execute(t.store.db)).rows[0];
    expect(await q('journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await q('synchronous')).toEqual({ synchronous: 2 }); // 2 = FULL
    expect(await q('foreign_keys')).toEqual({ foreign_keys: 1 });
  });

  it('takes the write lock up front (BEGIN IMMEDIATE) so a second writer waits instead of failing mid-way', async () => {
    const order: string[] = [];
    await Promise.all([
      t.store.transaction(async (tx) => {
        order.push('a:start');
        await tx.tenants.insert({ id: 'a', name: 'a', createdAt: '2026-01-01T00:00:00.000Z' });
        await new Promise((r) => setTimeout(r, 20));
        order.push('a:end');
      }),
      t.store.transaction(async (tx) => {
        order.push('b:start');
        await tx.tenants.insert({ id: 'b', name: 'b', createdAt: '2026-01-01T00:00:00.000Z' });
        order.push('b:end');
      }),
    ]);
    expect(order).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
  });
});

describe.runIf(STORE_KINDS.includes('postgres'))('PostgreSQL durability settings', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore('postgres');
  });
  afterAll(() => t?.dispose());

  it('commits synchronously with fsync on and bounded statement time', async () => {
    const show = async (name: string) => (await sql.raw(`show ${name}`).execute(t.store.db)).rows[0];
    expect(await show('synchronous_commit')).toEqual({ synchronous_commit: 'on' });
    expect(await show('fsync')).toEqual({ fsync: 'on' });
    expect(await show('statement_timeout')).toEqual({ statement_timeout: '10s' });
  });
});

describe.each(STORE_KINDS)('store contract on %s', (kind) => {
  it('applies migrations once and re-opens an existing database without change', async () => {
    const { location, drop } = await freshLocation(kind);
    try {
      const first = await openStore(location);
      await first.tenants.insert({ id: 't1', name: 'kept', createdAt: '2026-01-01T00:00:00.000Z' });
      await first.close();
      const second = await openStore(location);
      expect(await second.tenants.list()).toEqual([{ id: 't1', name: 'kept', createdAt: '2026-01-01T00:00:00.000Z' }]);
      await second.close();
    } finally {
      await drop();
    }
  });

  it('rolls a failed transaction back completely', async () => {
    const t = await openTestStore(kind);
    try {
      await expect(
        t.store.transaction(async (tx) => {
          await tx.tenants.insert({ id: 'x', name: 'x', createdAt: '2026-01-01T00:00:00.000Z' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await t.store.tenants.get('x')).toBeUndefined();
    } finally {
      await t.dispose();
    }
  });

  it('keeps client secrets bound to their row: a ciphertext swapped onto another provider fails closed', async () => {
    const t = await openTestStore(kind);
    const ring = parseKeyring(generateKeyText());
    try {
      const base = {
        kind: 'azuread' as const,
        displayName: 'x',
        enabled: true,
        type: 'oidc' as const,
        properties: {
          loginEnabled: true,
          visible: true,
          delegationEnabled: false,
          autoProvisioningEnabled: false,
          clientId: 'c',
          usePkce: true,
          authority: 'http://127.0.0.1/x',
          responseType: 'code',
          scope: 'openid',
        },
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      };
      await t.store.tenants.insert({ id: 'ten', name: 'x', createdAt: base.createdAt });
      const ctx = (id: string) => `sso-client-secret:ten:${id}`;
      await t.store.ssoProviders.insert({
        ...base,
        id: 'p1',
        tenantId: 'ten',
        scheme: 'one',
        clientSecretSealed: encryptSecret(ring, 'secret-one', ctx('p1')),
      });
      await t.store.ssoProviders.insert({
        ...base,
        id: 'p2',
        tenantId: 'ten',
        scheme: 'two',
        clientSecretSealed: encryptSecret(ring, 'secret-two', ctx('p2')),
      });
      const one = (await t.store.ssoProviders.get('ten', 'one'))!;
      const two = (await t.store.ssoProviders.get('ten', 'two'))!;
      expect(decryptSecret(ring, one.clientSecretSealed!, ctx('p1'))).toBe('secret-one');
      await t.store.ssoProviders.update({ ...two, clientSecretSealed: one.clientSecretSealed });
      const swapped = (await t.store.ssoProviders.get('ten', 'two'))!;
      expect(() => decryptSecret(ring, swapped.clientSecretSealed!, ctx('p2'))).toThrow('cannot decrypt');
    } finally {
      await t.dispose();
    }
  });
});
