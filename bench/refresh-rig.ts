// One Roster in this process on a given store, one person signed in through the stand-in Entra with a refresh
// token, and the token endpoint's refresh grant over Fastify's inject (bench/refresh-profile.ts, refresh-ab.ts).
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore, type StoreLocation } from '../src/store/open-store.ts';
import { OPERATOR_TOKEN } from '../test/support/app.ts';
import { freePort } from '../test/support/free-port.ts';
import { beginAppSignIn, completeAppSignIn, registerSignIn } from '../test/support/signin.ts';

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
  // Just in time: the person the rig signs in is created at their first sign-in.
  const { tenant, entra, app: client } = await registerSignIn(app, publicUrl, { autoProvisioningEnabled: true });
  const close = async () => {
    await entra.close();
    await app.close();
    await store.close();
  };
  try {
    const rig = { publicUrl, tenant, app: client };
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
