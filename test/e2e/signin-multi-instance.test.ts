// Two Roster instances on one PostgreSQL database, behind one public URL, share no memory: a sign-in whose hops
// alternate between them completes, deactivation through one ends the session held by the other, and a key
// rotated through one is published by the other on its next request.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { parseKeyring } from '../../src/lib/keyring.ts';
import { type OpenedStore, openStore } from '../../src/store/open-store.ts';
import { call, OPERATOR_TOKEN } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { freePort } from '../support/free-port.ts';
import { entraUser, patch, scim } from '../support/scim.ts';
import { atApp, beginAppSignIn, completeAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';

describe('sign-in across two instances on one PostgreSQL', () => {
  let rig: SignInRig;
  let second: FastifyInstance;
  let secondStore: OpenedStore;
  let secondOrigin: string;
  beforeAll(async () => {
    rig = await startSignInRig('postgres');
    secondStore = await openStore(rig.t.db.location);
    const port = await freePort();
    secondOrigin = `http://127.0.0.1:${port}`;
    second = await createApp({
      config: loadConfig({
        ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
        ROSTER_SECRET_KEY: rig.t.secretKey,
        ROSTER_PUBLIC_URL: rig.publicUrl,
        DATABASE_URL: rig.t.db.location.kind === 'postgres' ? rig.t.db.location.url : '',
      }),
      store: secondStore,
      keyring: parseKeyring(rig.t.secretKey),
      clock: fixedClock('2026-11-23T10:00:00.000Z'),
      logger: false,
    });
    await second.listen({ port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await second?.close();
    await secondStore?.close();
    await rig?.dispose();
  });

  /** A load balancer in the test: every other request to Roster goes to the second instance. */
  function alternating(browser: Browser) {
    let n = 0;
    const original = browser.get.bind(browser);
    browser.get = (url) => {
      const target = new URL(url);
      if (target.origin === rig.publicUrl && n++ % 2 === 1) {
        const moved = new URL(target.pathname + target.search, secondOrigin);
        return original(moved);
      }
      return original(target);
    };
    return browser;
  }

  it('completes a sign-in whose hops alternate, and deactivation through one ends the session on both', async () => {
    const id = randomUUID();
    const res = await scim(
      rig.t.app,
      rig.tenant,
      'POST',
      `${rig.tenant.base}/Users`,
      entraUser('shared@contoso.com', id),
    );
    rig.entra.signInAs({ oid: id, upn: 'shared@contoso.com' });
    const browser = alternating(new Browser());
    const sign = await beginAppSignIn(rig, {}, browser);
    const { claims } = await completeAppSignIn(sign, rig);
    expect(claims.sub).toBe(res.json().id);
    expect(browser.jar.header(new URL(`${rig.publicUrl}/${rig.tenant.tenantId}/oidc/auth`))).toContain(
      'roster_session',
    );

    const off = await second.inject({
      method: 'PATCH',
      url: `${rig.tenant.base}/Users/${res.json().id}`,
      headers: { authorization: `Bearer ${rig.tenant.scimToken}`, 'content-type': 'application/scim+json' },
      payload: JSON.stringify(patch({ op: 'replace', path: 'active', value: false })),
    });
    expect(off.statusCode).toBe(200);
    for (let i = 0; i < 2; i++) {
      const silent = await beginAppSignIn(rig, { prompt: 'none' }, browser);
      expect((await browser.follow(silent.authorizationUrl, atApp)).url.searchParams.get('error')).toBe(
        'login_required',
      );
    }
  });

  it('a key rotated through one instance is published by the other at once', async () => {
    const rotated = await call(second, 'POST', '/iam/v1/signing-keys/rotate', { token: rig.tenant.adminToken });
    expect(rotated.statusCode).toBe(201);
    const jwks = (await (await fetch(`${rig.publicUrl}/${rig.tenant.tenantId}/oidc/jwks`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys[0]?.kid).toBe(rotated.json().kid);
  });
});
