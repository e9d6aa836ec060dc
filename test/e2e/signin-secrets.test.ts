// Security plan K5/K7 for sign-in: run sign-ins (success with refresh and delegated tokens, and a refusal) at trace
// level and look for every secret they produced — app and Entra client secrets, codes, state, nonce, PKCE verifiers,
// tokens, session cookies, the delegated upstream token — in the logs and the audit trail. None may appear.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../src/http/redact.ts';
import { call } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { entraUser, scim } from '../support/scim.ts';
import { atApp, beginAppSignIn, completeAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('no sign-in secret reaches a log on %s', (kind) => {
  let rig: SignInRig;
  let output = '';
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    rig = await startSignInRig(kind, { delegationEnabled: true }, logger);
  });
  afterAll(() => rig?.dispose());

  it('keeps every secret of the flow out of logs and audit', async () => {
    const secrets = new Set<string>([rig.app.clientSecret, 'entra-app-secret-value']);
    const id = randomUUID();
    await scim(rig.t.app, rig.tenant, 'POST', `${rig.tenant.base}/Users`, entraUser('quiet@contoso.com', id));
    rig.entra.signInAs({ oid: id, upn: 'quiet@contoso.com' });

    const instrumented = () => {
      const browser = new Browser();
      const get = browser.get.bind(browser);
      browser.get = async (url) => {
        const target = new URL(url);
        for (const name of ['code', 'state', 'nonce', 'code_challenge']) {
          const value = target.searchParams.get(name);
          if (value) secrets.add(value);
        }
        const res = await get(target);
        for (const cookie of res.headers.getSetCookie()) {
          const [name = '', value] = cookie.split(';')[0]!.split('=');
          // Interaction cookies hold the interaction uid, which is in the page URLs by design (oidc-provider); only
          // their signatures (`….sig`) and the session cookie carry weight.
          if (/_(interaction|resume)$/.test(name)) continue;
          if (value && value.length > 8) secrets.add(value);
        }
        return res;
      };
      return browser;
    };
    const browser = instrumented();
    const sign = await beginAppSignIn(rig, { scope: 'openid offline_access delegation', prompt: 'consent' }, browser);
    secrets.add(sign.checks.codeVerifier);
    const { tokens } = await completeAppSignIn(sign, rig);
    for (const t of [tokens.access_token, tokens.refresh_token, tokens.id_token]) if (t) secrets.add(t);
    const delegated = await fetch(`${rig.publicUrl}/${rig.tenant.tenantId}/delegation/token`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(delegated.status).toBe(200);
    secrets.add(((await delegated.json()) as { access_token: string }).access_token);

    // A refusal and a tampered callback take the error paths.
    rig.entra.signInAs({ oid: randomUUID(), upn: 'stranger@contoso.com' });
    const other = instrumented();
    const refused = await beginAppSignIn(rig, {}, other);
    await other.follow(refused.authorizationUrl, atApp);
    const third = instrumented();
    const tampered = await beginAppSignIn(rig, {}, third);
    await third.follow(tampered.authorizationUrl, atApp, (u) => {
      if (u.pathname.endsWith('/signin/callback')) u.searchParams.set('code', 'forged-code-value-123');
      return u;
    });

    const audit = (await call(rig.t.app, 'GET', '/iam/v1/audit-events?limit=200', { token: rig.tenant.adminToken }))
      .body;
    expect(output).toContain('/signin/');
    expect(audit).toContain('signin.refused');
    expect(secrets.size).toBeGreaterThan(12);
    for (const secret of secrets) {
      expect(output.includes(secret), `log contains ${secret.slice(0, 6)}…`).toBe(false);
      expect(audit.includes(secret), `audit contains ${secret.slice(0, 6)}…`).toBe(false);
    }
  });
});
