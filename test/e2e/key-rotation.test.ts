// Security plan K3: rotating ROSTER_SECRET_KEY with Roster serving throughout. Instances overlap at every step
// (old and new configuration side by side on one database) while a client keeps calling SCIM; the steps are the
// documented ones: add k2 as a second key, make it active, re-encrypt (`keys-cli reencrypt`), remove k1.
// Old ciphertexts and tokens keep working until then, new writes use k2, used tokens move to k2 by themselves,
// and once `keys-cli status --check` passes, an instance with k2 alone serves everything made under k1.
// K4: with the key missing or wrong for an existing database, Roster refuses to start.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_UNREADABLE_WARNING } from '../../src/core/sso/providers.ts';
import { generateKeyText } from '../../src/lib/keyring.ts';
import type { StoreLocation } from '../../src/store/open-store.ts';
import { call, type LiveApp, SEED_001_PROVIDER, startLiveApp } from '../support/app.ts';
import { bundleMain } from '../support/bundle-main.ts';
import { freePort } from '../support/free-port.ts';
import { scimHeaders } from '../support/load.ts';
import { rosterEnv, startRoster } from '../support/process.ts';
import { scimTenant } from '../support/scim.ts';
import { freshLocation, STORE_KINDS } from '../support/stores.ts';

// The operator command runs eight times and Roster three: each from a bundle of its source, which starts about 1.7
// times as fast as going through tsx (test/support/bundle-main.ts).
let main: Awaited<ReturnType<typeof bundleMain>>;
let keysCliBundle: Awaited<ReturnType<typeof bundleMain>>;
beforeAll(async () => {
  [main, keysCliBundle] = await Promise.all([
    bundleMain('roster-k4'),
    bundleMain('roster-keys-cli', 'src/keys-cli.ts'),
  ]);
});
afterAll(() => {
  main?.remove();
  keysCliBundle?.remove();
});

/** The operator command, as its own process (async: the instances in this process keep serving meanwhile). */
async function keysCli(location: StoreLocation, key: string, ...args: string[]) {
  const child = spawn(process.execPath, [keysCliBundle.entry, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
      ROSTER_SECRET_KEY: key,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  return { code, report: stdout ? JSON.parse(stdout) : undefined, stderr };
}

describe.each(STORE_KINDS)('key rotation without downtime on %s (K3)', (kind) => {
  const open: LiveApp[] = [];
  afterAll(async () => {
    for (const a of open) await a.close().catch(() => {});
  });

  it('rotates k1 → k2 with overlapping instances and a client that never fails', async () => {
    const { location, drop } = await freshLocation(kind);
    const k1 = generateKeyText('k1');
    const k2 = generateKeyText('k2');
    const instance = async (keys: string, retiring?: string) => {
      const live = await startLiveApp(location, {
        ROSTER_SECRET_KEY: keys,
        ...(retiring ? { ROSTER_SECRET_KEY_RETIRING: retiring } : {}),
      });
      open.push(live);
      return live;
    };
    /** The instance the SCIM client below is calling right now. */
    let pollingAt: LiveApp | undefined;
    const retire = async (live: LiveApp & { serving: boolean }) => {
      live.serving = false;
      // The client's call in flight to this instance ends first: an instance that closes drops idle keep-alive
      // sockets, and a request just written on one would fail for a reason that is not the rotation's.
      while (pollingAt === live) await new Promise((r) => setTimeout(r, 5));
      await live.close();
    };

    // Made under k1: a tenant (admin token), an SSO provider with a client secret, an app with a secret, two SCIM
    // tokens (one of which nobody uses during the rotation), and the tenant's signing keys.
    let a = Object.assign(await instance(k1), { serving: true });
    const tenant = await scimTenant(a.app);
    const idle = (
      await call(a.app, 'POST', '/iam/v1/scim', {
        token: tenant.adminToken,
        body: { provider: 'entra', providerDisplayName: 'idle' },
      })
    ).json() as { id: string; token: string };
    const client = (
      await call(a.app, 'POST', '/iam/v1/clients', {
        token: tenant.adminToken,
        body: { client_name: 'App', type: 'confidential', redirect_uris: ['http://127.0.0.1:9/cb'] },
      })
    ).json() as { client_id: string };
    const jwks = async (live: LiveApp) => {
      const res = await fetch(`${live.origin}/${tenant.tenantId}/oidc/jwks`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
    };
    const kids = await jwks(a);

    // A client calls SCIM all along, on whichever instances are up.
    const instances: (LiveApp & { serving: boolean })[] = [a];
    const failures: string[] = [];
    let calls = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const up = instances.filter((i) => i.serving);
        const target = up[calls++ % up.length]!;
        pollingAt = target;
        try {
          const res = await fetch(`${target.origin}${tenant.base}/Users?count=1`, {
            headers: scimHeaders(tenant.scimToken),
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          if (res.status !== 200) failures.push(`${res.status}`);
        } catch (error) {
          failures.push(String(error));
        }
        pollingAt = undefined;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    // Step 1: k2 is added as a second key; an instance with it runs beside the k1-only one.
    const b = Object.assign(await instance(`${k1},${k2}`), { serving: true });
    instances.push(b);
    // Step 2: k2 becomes active and k1 retiring, instance by instance (every instance can already read k2).
    await retire(a);
    a = Object.assign(await instance(`${k2},${k1}`, 'k1'), { serving: true });
    instances.push(a);
    const second = await call(a.app, 'POST', '/iam/v1/sso/azuread', {
      token: tenant.adminToken,
      body: { ...SEED_001_PROVIDER, scheme: 'second', properties: { ...SEED_001_PROVIDER.properties } },
    });
    expect(second.statusCode).toBe(201);
    const sealedUnder = async (scheme: string) =>
      (
        await a.store.db
          .selectFrom('sso_providers')
          .select('client_secret_sealed')
          .where('tenant_id', '=', tenant.tenantId)
          .where('scheme', '=', scheme)
          .executeTakeFirstOrThrow()
      ).client_secret_sealed!.split('.')[1];
    expect(await sealedUnder('second')).toBe('k2'); // new writes use the new key
    expect(await sealedUnder('entra')).toBe('k1'); // old ciphertexts stay readable as they are
    // The instance still on k1-first reads what the k2 instance sealed (no warning: the secret decrypts there).
    const seen = await call(b.app, 'GET', '/iam/v1/sso/second', { token: tenant.adminToken });
    expect(seen.json().warnings ?? []).not.toContain(SECRET_UNREADABLE_WARNING);
    const newToken = (
      await call(a.app, 'POST', '/iam/v1/scim', {
        token: tenant.adminToken,
        body: { provider: 'entra', providerDisplayName: 'new' },
      })
    ).json() as { token: string };
    const keyOf = async (table: 'scim_tokens' | 'admin_tokens', id: string) =>
      (await a.store.db.selectFrom(table).select('key_id').where('id', '=', id).executeTakeFirstOrThrow()).key_id;
    const scimStatus = async (live: LiveApp, token: string) =>
      (await fetch(`${live.origin}${tenant.base}/Users?count=0`, { headers: scimHeaders(token) })).status;
    expect(await scimStatus(b, newToken.token)).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const newTokenId = newToken.token.slice('scim_'.length).split('.')[0]!;
    expect(await keyOf('scim_tokens', newTokenId)).toBe('k2'); // the k1-first instance does not move it back
    await retire(b);
    const c = Object.assign(await instance(`${k2},${k1}`, 'k1'), { serving: true });
    instances.push(c);

    // Tokens in use have moved to k2 by being presented (admin and SCIM); the idle one has not.
    for (let i = 0; i < 100 && (await keyOf('scim_tokens', tenant.scimTokenId)) !== 'k2'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await keyOf('scim_tokens', tenant.scimTokenId)).toBe('k2');
    expect(await keyOf('scim_tokens', idle.id)).toBe('k1');

    // Step 3: re-encrypt. k1 is still needed by the idle token, and status --check says so.
    const reencrypt = await keysCli(location, `${k2},${k1}`, 'reencrypt');
    expect(reencrypt.code, reencrypt.stderr).toBe(0);
    expect(reencrypt.report.reencrypted.resealed).toBeGreaterThanOrEqual(3); // provider, app, signing key(s)
    expect(reencrypt.report.reencrypted.unreadable).toEqual([]);
    expect(reencrypt.report.use.k1.sealedSecrets ?? 0).toBe(0);
    expect(reencrypt.report.tokensOnOldKeys).toEqual([
      { kind: 'scim', id: idle.id, tenantId: tenant.tenantId, keyId: 'k1' },
    ]);
    expect(reencrypt.report.retirable).toEqual([]);
    expect(JSON.stringify(reencrypt.report)).not.toContain(idle.token.split('.')[1]);
    expect((await keysCli(location, `${k2},${k1}`, 'status', '--check')).code).toBe(1);
    // Presenting the idle token once moves it too (or the admin reissues it); then k1 is retirable.
    expect(await scimStatus(c, idle.token)).toBe(200);
    for (let i = 0; i < 100 && (await keyOf('scim_tokens', idle.id)) !== 'k2'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const check = await keysCli(location, `${k2},${k1}`, 'status', '--check');
    expect(check.code, JSON.stringify(check.report)).toBe(0);
    expect(check.report.retirable).toEqual(['k1']);

    // Step 4: k1 is removed. An instance with k2 alone serves everything made under k1.
    const d = Object.assign(await instance(k2), { serving: true });
    instances.push(d);
    await retire(a);
    await retire(c);
    await new Promise((r) => setTimeout(r, 200));
    polling = false;
    await poller;
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(20);
    expect(await scimStatus(d, tenant.scimToken)).toBe(200);
    expect(await scimStatus(d, idle.token)).toBe(200);
    expect(await scimStatus(d, newToken.token)).toBe(200);
    expect((await call(d.app, 'GET', '/iam/v1/sso', { token: tenant.adminToken })).statusCode).toBe(200);
    for (const scheme of ['entra', 'second']) {
      const view = await call(d.app, 'GET', `/iam/v1/sso/${scheme}`, { token: tenant.adminToken });
      expect(view.json().warnings ?? [], scheme).not.toContain(SECRET_UNREADABLE_WARNING); // decrypts under k2
    }
    expect(await jwks(d)).toEqual(kids); // the signing keys decrypt: same kids, nothing regenerated
    const auth = await fetch(
      `${d.origin}/${tenant.tenantId}/oidc/auth?client_id=${client.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
      { redirect: 'manual' },
    );
    expect(auth.status, await auth.text()).toBe(303); // the app (and its secret) is known under k2
    await retire(d);
    await drop();
  }, 60_000);
});

describe('refusing to start without the right key (K4)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-k4-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an existing SQLite database without its secret.key, or with another key, does not start', async () => {
    const location: StoreLocation = { kind: 'sqlite', path: join(dir, 'data/roster.db') };
    const port = await freePort();
    const env = rosterEnv(location, port, { ROSTER_SECRET_KEY: '' });
    const first = await startRoster(env, main.entry); // embedded mode: the key is generated into data/secret.key
    const tenant = await fetch(`${first.origin}/iam/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.ROSTER_BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Acme' }),
    });
    expect(tenant.status).toBe(201);
    const { adminToken } = (await tenant.json()) as { adminToken: string };
    const provider = await fetch(`${first.origin}/iam/v1/sso/azuread`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(SEED_001_PROVIDER), // its client secret is sealed under the generated key
    });
    expect(provider.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited()).toBe(0);

    rmSync(join(dir, 'data/secret.key')); // the key is lost
    const lost = spawnSync(process.execPath, [main.entry], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(lost.status).toBe(1);
    expect(lost.stderr).toContain('secret.key is missing');

    writeFileSync(join(dir, 'data/secret.key'), `${generateKeyText('k1')}\n`, { mode: 0o600 }); // a wrong key
    const wrong = spawnSync(process.execPath, [main.entry], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('not the key');
  }, 30_000);
});
