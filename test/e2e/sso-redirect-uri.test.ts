// The redirect URI the admin API tells the tenant admin to register in Entra ID is the one sign-in sends to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/app.ts';
import { beginAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';

describe('SSO provider redirectUri', () => {
  let rig: SignInRig;
  beforeAll(async () => {
    rig = await startSignInRig('sqlite');
  });
  afterAll(() => rig?.dispose());

  it('is the redirect_uri of the authorization request Roster sends upstream', async () => {
    const got = await call(rig.t.app, 'GET', '/iam/v1/sso/entra', { token: rig.tenant.adminToken });
    expect(got.statusCode).toBe(200);
    const redirectUri: string = got.json().redirectUri;
    expect(redirectUri).toBe(`${rig.publicUrl}/${rig.tenant.tenantId}/signin/callback`);

    const sign = await beginAppSignIn(rig, { idp_hint: 'entra' });
    const entra = new URL(rig.entra.authority).origin;
    const result = await sign.browser.follow(sign.authorizationUrl, (u) => u.origin === entra);
    expect(result.stopped, `${result.url.pathname} ${result.status}`).toBe(true);
    expect(result.url.searchParams.get('redirect_uri')).toBe(redirectUri);
  });
});
