// Security plan K2: encrypted secrets are bound to their row. Swapping the sealed Entra client secret between two
// tenants' SSO providers directly in the database makes sign-in with either fail closed — a refusal page, never a
// 500 — before anything is sent upstream, with the reason in the audit log and a warning on the provider for the
// admin; setting the secret again repairs it. An app's secret moved to another app makes that app unknown
// (invalid_client), not a server error.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_UNREADABLE_WARNING } from '../../src/core/sso/providers.ts';
import { call } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { entraUser, scim, scimTenant } from '../support/scim.ts';
import { atApp, beginAppSignIn, completeAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('ciphertexts bound to their row on %s (K2)', (kind) => {
  let rig: SignInRig;
  beforeAll(async () => {
    rig = await startSignInRig(kind);
  });
  afterAll(() => rig?.dispose());

  const sealedOf = async (tenantId: string) =>
    (
      await rig.t.db.store.db
        .selectFrom('sso_providers')
        .select('client_secret_sealed')
        .where('tenant_id', '=', tenantId)
        .where('scheme', '=', 'entra')
        .executeTakeFirstOrThrow()
    ).client_secret_sealed;
  const setSealed = (tenantId: string, sealed: string | null) =>
    rig.t.db.store.db
      .updateTable('sso_providers')
      .set({ client_secret_sealed: sealed })
      .where('tenant_id', '=', tenantId)
      .where('scheme', '=', 'entra')
      .execute();

  it('a client secret swapped between two tenants’ providers refuses sign-in and tells the admin', async () => {
    const other = await scimTenant(rig.t.app, 'Fabrikam');
    const id = randomUUID();
    expect(
      (await scim(rig.t.app, rig.tenant, 'POST', `${rig.tenant.base}/Users`, entraUser('ann@contoso.com', id)))
        .statusCode,
    ).toBe(201);
    rig.entra.signInAs({ oid: id, upn: 'ann@contoso.com' });
    await completeAppSignIn(await beginAppSignIn(rig), rig); // works before the swap

    const mine = await sealedOf(rig.tenant.tenantId);
    const theirs = await sealedOf(other.tenantId);
    await setSealed(rig.tenant.tenantId, theirs);
    await setSealed(other.tenantId, mine);

    const browser = new Browser();
    const sign = await beginAppSignIn(rig, {}, browser);
    const page = await browser.follow(sign.authorizationUrl, atApp);
    expect(page.stopped).toBe(false);
    expect(page.status).toBe(403);
    expect(page.body).toContain('This sign-in method is not configured correctly');
    expect(page.body).not.toMatch(/cannot decrypt|at .*\.ts:\d+/);

    const audit = await call(rig.t.app, 'GET', '/iam/v1/audit-events?limit=50', { token: rig.tenant.adminToken });
    expect(
      (audit.json().items as { action: string; data: { reason?: string } }[]).some(
        (e) => e.action === 'signin.refused' && e.data.reason === 'client_secret_unreadable',
      ),
    ).toBe(true);
    for (const t of [rig.tenant, other]) {
      const view = await call(rig.t.app, 'GET', '/iam/v1/sso/entra', { token: t.adminToken });
      expect(view.statusCode).toBe(200);
      expect(view.json().warnings).toContain(SECRET_UNREADABLE_WARNING);
      const list = await call(rig.t.app, 'GET', '/iam/v1/sso', { token: t.adminToken });
      expect(list.json().items[0].warnings).toContain(SECRET_UNREADABLE_WARNING);
    }

    // The admin sets the secret again: the warning is gone and sign-in works.
    const put = await call(rig.t.app, 'PUT', '/iam/v1/sso/entra', {
      token: rig.tenant.adminToken,
      body: { scheme: 'entra', ...rig.providerBody() },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().warnings).toBeUndefined();
    rig.entra.signInAs({ oid: id, upn: 'ann@contoso.com' });
    const again = await completeAppSignIn(await beginAppSignIn(rig), rig);
    expect(again.claims.sub).toBeDefined();
  });

  it('an app secret moved onto another app makes that app unknown (invalid_client), not a 500', async () => {
    const created = await call(rig.t.app, 'POST', '/iam/v1/clients', {
      token: rig.tenant.adminToken,
      body: { client_name: 'Second app', type: 'confidential', redirect_uris: ['http://127.0.0.1:9/second'] },
    });
    expect(created.statusCode).toBe(201);
    const secondId = created.json().client_id as string;
    const db = rig.t.db.store.db;
    const sealed = await db
      .selectFrom('oidc_clients')
      .select('secret_sealed')
      .where('tenant_id', '=', rig.tenant.tenantId)
      .where('client_id', '=', secondId)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('oidc_clients')
      .set({ secret_sealed: sealed.secret_sealed })
      .where('tenant_id', '=', rig.tenant.tenantId)
      .where('client_id', '=', rig.app.clientId)
      .execute();
    const sign = await beginAppSignIn(rig);
    const page = await sign.browser.follow(sign.authorizationUrl, atApp);
    expect(page.stopped).toBe(false);
    expect(page.status).toBe(400);
    expect(page.body).toContain('invalid_client');
  });
});
