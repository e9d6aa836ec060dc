// One Roster in this process on a given store, one person signed in through the stand-in Entra with a refresh
// token, and the token endpoint's refresh grant over Fastify's inject (bench/refresh-profile.ts, refresh-ab.ts).
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore, type StoreLocation } from '../src/store/open-store.ts';
import { call, OPERATOR_TOKEN } from '../test/support/app.ts';
import { startFakeEntra } from '../test/support/fake-entra.ts';
import { freePort } from '../test/support/free-port.ts';
import { scimTenant } from '../test/support/scim.ts';
import { APP_REDIRECT, beginAppSignIn, completeAppSignIn } from '../test/support/signin.ts';

export async function startRefreshRig(location: StoreLocation) {
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
  const close = async () => {
    await entra.close();
    await app.close();
    await store.close();
  };
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
    const client = {
      clientId: created.json().client_id as string,
      clientSecret: created.json().client_secret as string,
    };
    const rig = { publicUrl, tenant, app: { ...client, redirectUri: APP_REDIRECT } };
    entra.signInAs({ oid: '00000000-0000-0000-0000-00000000000a', upn: 'pat@contoso.com' });
    const { tokens } = await completeAppSignIn(
      await beginAppSignIn(rig, { scope: 'openid profile email offline_access', prompt: 'consent' }),
      rig,
    );
    const refreshToken = tokens.refresh_token!;
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
    const payload = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString();
    const grant = async () => {
      const r = await app.inject({
        method: 'POST',
        url: `/${tenant.tenantId}/oidc/token`,
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      });
      if (r.statusCode !== 200) throw new Error(`refresh: ${r.statusCode} ${r.body}`);
    };
    return { store, tenantId: tenant.tenantId, clientId: client.clientId, refreshToken, grant, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `grants` refresh grants, `inFlight` at a time: CPU µs per grant of this whole process. */
export async function cpuPerGrant(grant: () => Promise<void>, grants: number, inFlight = 8): Promise<number> {
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < grants) await grant();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / grants;
}
