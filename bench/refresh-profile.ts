// One Roster in this process, one person signed in through the stand-in Entra, then the token endpoint's refresh
// grant alone, N times over Fastify's inject: CPU µs per grant and the statements each grant sends, on one store.
// Run under `node --cpu-prof` to see where a grant's time goes (issue 14 item 6, ADR 0058).
//   npx tsx bench/refresh-profile.ts --store sqlite|postgres [--grants 3000] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore, type StoreLocation } from '../src/store/open-store.ts';
import { call, OPERATOR_TOKEN } from '../test/support/app.ts';
import { startFakeEntra } from '../test/support/fake-entra.ts';
import { freePort } from '../test/support/free-port.ts';
import { startPostgres } from '../test/support/postgres-server.ts';
import { recordQueries } from '../test/support/query-log.ts';
import { scimTenant } from '../test/support/scim.ts';
import { APP_REDIRECT, beginAppSignIn, completeAppSignIn } from '../test/support/signin.ts';
import { rs256SignMicros } from './signin.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    grants: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    // Also measure the store's calls alone, one kind at a time.
    parts: { type: 'boolean', default: false },
  },
});
const log = (s: string) => process.stderr.write(`${s}\n`);

const dir = mkdtempSync(join(tmpdir(), 'roster-refresh-'));
const pg = args.store === 'postgres' ? await startPostgres() : undefined;
const location: StoreLocation = pg ? { kind: 'postgres', url: pg.url } : { kind: 'sqlite', path: join(dir, 'r.db') };
const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const config = loadConfig({
  ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
  ROSTER_SECRET_KEY: generateKeyText('k1'),
  ROSTER_PUBLIC_URL: publicUrl,
  DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
  ROSTER_SIGNIN_BURST_ADDRESS: '1000000',
  ROSTER_SIGNIN_BURST_TENANT: '1000000',
});
const store = await openStore(location);
const app = await createApp({
  config,
  store,
  keyring: parseKeyring(config.secretKey!),
  clock: systemClock,
  logger: false,
});
await app.listen({ port, host: '127.0.0.1' });
const tenant = await scimTenant(app);
const ENTRA = { clientId: 'entra-app-id', clientSecret: 'entra-app-secret-value' };
const entra = await startFakeEntra({ ...ENTRA, redirectUri: `${publicUrl}/${tenant.tenantId}/signin/callback` });
try {
  const put = await call(app, 'PUT', '/iam/v1/sso/entra', {
    token: tenant.adminToken,
    body: {
      scheme: 'entra',
      displayName: 'Contoso Entra ID',
      enabled: true,
      type: 'oidc',
      properties: {
        loginEnabled: true,
        visible: true,
        delegationEnabled: false,
        autoProvisioningEnabled: true,
        ...ENTRA,
        usePkce: true,
        authority: entra.authority,
        responseType: 'code',
        scope: 'openid profile email',
      },
    },
  });
  if (put.statusCode !== 200) throw new Error(`provider: ${put.statusCode} ${put.body}`);
  const created = await call(app, 'POST', '/iam/v1/clients', {
    token: tenant.adminToken,
    body: { client_name: 'Bench app', type: 'confidential', redirect_uris: [APP_REDIRECT] },
  });
  const client = { clientId: created.json().client_id, clientSecret: created.json().client_secret };
  const rig = { publicUrl, tenant, app: { ...client, redirectUri: APP_REDIRECT } };
  entra.signInAs({ oid: '00000000-0000-0000-0000-00000000000a', upn: 'pat@contoso.com' });
  const { tokens } = await completeAppSignIn(
    await beginAppSignIn(rig, { scope: 'openid profile email offline_access', prompt: 'consent' }),
    rig,
  );
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  const payload = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }).toString();
  const grant = async () => {
    const r = await app.inject({
      method: 'POST',
      url: `/${tenant.tenantId}/oidc/token`,
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload,
    });
    if (r.statusCode !== 200) throw new Error(`refresh: ${r.statusCode} ${r.body}`);
  };
  for (let i = 0; i < 200; i++) await grant();
  const grants = Number(args.grants);
  for (let round = 0; round < Number(args.rounds); round++) {
    const sign = await rs256SignMicros(1);
    const cpu0 = process.cpuUsage();
    // Eight in flight, as a loaded endpoint sees them (group commits carry several).
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < grants) await grant();
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const micros = (cpu.user + cpu.system) / grants;
    log(
      `round ${round + 1}: ${micros.toFixed(0)} µs CPU per grant (with inject), ${(micros / sign).toFixed(2)}× a signature of ${sign.toFixed(0)} µs`,
    );
  }
  // The store's share, call by call, as the grant makes them (eight in flight, so writes share group commits).
  const cpuOf = async (name: string, n: number, call: (i: number) => Promise<unknown>) => {
    const cpu0 = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < n) await call(next++);
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    log(`  ${name}: ${((cpu.user + cpu.system) / n).toFixed(0)} µs CPU per call`);
  };
  const signin = store.signin;
  const rt = await signin.payloads.find(tenant.tenantId, 'RefreshToken', tokens.refresh_token!);
  const at = await signin.payloads.find(tenant.tenantId, 'Grant', String(rt?.grantId));
  const parts = async () => {
    await cpuOf('signing-key versions', grants, () => signin.signingKeys.listVersions(tenant.tenantId));
    await cpuOf('app', grants, () => signin.clients.get(tenant.tenantId, client.clientId));
    await cpuOf('token+grant+subject', grants, () =>
      signin.payloads.findWithGrant(tenant.tenantId, 'RefreshToken', tokens.refresh_token!),
    );
    await cpuOf('access-token insert (group commit)', grants, (i) =>
      signin.payloads.upsert(tenant.tenantId, 'AccessToken', `bench-at-${i}-${Math.random()}`, at ?? {}, 60),
    );
  };
  if (args.parts) {
    log('store calls alone:');
    await parts();
    await parts();
  }
  // Last: the driver hooks stay installed once in, and would weigh on the rounds.
  const queries = recordQueries();
  await grant();
  log(`statements per grant (${args.store}):`);
  for (const q of queries.all()) log(`  ${q.sql.replace(/\s+/g, ' ').slice(0, 150)}`);
} finally {
  await entra.close();
  await app.close();
  await store.close();
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
}
