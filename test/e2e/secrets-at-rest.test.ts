// Security plan K1 (secrets at rest), K6 (no secrets or internals in error responses) and K7 (nothing secret in
// logged URLs; query tokens ignored), on both stores. K5 is secrets-in-logs.test.ts and signin-secrets.test.ts.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../src/http/redact.ts';
import { call, OPERATOR_TOKEN, SEED_001_PROVIDER, startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { dumpDatabase } from '../support/dump.ts';
import { CORE_USER, entraUser, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { atApp, beginAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

/** Things an error response must never carry: stacks, source paths, SQL, driver names. */
const INTERNALS =
  /\n\s+at |node_modules|\/src\/|\.ts:\d|SqliteError|better-sqlite3|syntax error|relation "|no such table|SELECT |INSERT |scim_users|scim_groups/i;

describe.each(STORE_KINDS)('secrets at rest and in errors on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let log = '';
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    t = await startTestApp(
      kind,
      {},
      pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink),
    );
    a = await scimTenant(t.app, 'Secrets');
  });
  afterAll(() => t?.dispose());

  it('K1: client secrets are stored only as AES-256-GCM ciphertext with a fresh 96-bit nonce and the key id', async () => {
    const secret = 'K1-entra-client-secret-plaintext';
    const put = async () =>
      call(t.app, 'PUT', '/iam/v1/sso/entra', {
        token: a.adminToken,
        body: {
          ...SEED_001_PROVIDER,
          scheme: 'entra',
          properties: { ...SEED_001_PROVIDER.properties, clientSecret: secret },
        },
      });
    expect((await put()).statusCode).toBe(200);
    const sealed = async () =>
      (
        await t.db.store.db
          .selectFrom('sso_providers')
          .select('client_secret_sealed')
          .where('tenant_id', '=', a.tenantId)
          .executeTakeFirstOrThrow()
      ).client_secret_sealed as string;
    const first = await sealed();
    expect((await put()).statusCode).toBe(200);
    const second = await sealed();
    for (const value of [first, second]) {
      const [version, keyId, nonce, body, tag] = value.split('.');
      expect(version).toBe('v1');
      expect(keyId).toBe(t.secretKey.split(':')[0]);
      expect(Buffer.from(nonce!, 'base64url')).toHaveLength(12);
      expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
      expect(Buffer.from(body!, 'base64url')).toHaveLength(Buffer.byteLength(secret));
    }
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    const app = (
      await call(t.app, 'POST', '/iam/v1/clients', {
        token: a.adminToken,
        body: { client_name: 'K1 app', type: 'confidential', redirect_uris: ['https://k1.example/cb'] },
      })
    ).json();
    const dump = await dumpDatabase(t.db);
    for (const plain of [secret, app.client_secret as string]) {
      expect(dump).not.toContain(plain);
      expect(dump).not.toContain(Buffer.from(plain).toString('base64'));
      expect(dump).not.toContain(Buffer.from(plain).toString('hex'));
    }
    expect(log).not.toContain(secret);
    expect(log).not.toContain(app.client_secret);
  });

  it('K6: malformed bodies, unknown routes and a failing database answer without stack, SQL, paths or request echo', async () => {
    const marker = 'K6-echo-marker';
    const responses = [
      await scim(t.app, a, 'POST', `${a.base}/Users`, `{"userName":"${marker}",`),
      await scim(
        t.app,
        a,
        'POST',
        `${a.base}/Users`,
        `{"schemas":["${CORE_USER}"],"userName":"${marker}@x","active":"${marker}"}`,
      ),
      await scim(t.app, a, 'GET', `${a.base}/Users?filter=${encodeURIComponent(`userName eq "${marker}`)}`),
      await scim(t.app, a, 'GET', `${a.base}/Users?sortBy=${marker}`),
      await scim(t.app, a, 'GET', `${a.base}/${marker}?x=${marker}`),
      await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: a.adminToken, body: `{"scheme":"${marker}",` }),
      await call(t.app, 'GET', `/iam/v1/${marker}?q=${marker}`, { token: a.adminToken }),
      await call(t.app, 'GET', `/${a.tenantId}/signin/callback?state=${marker}&code=${marker}`),
    ];
    for (const res of responses) {
      expect(res.statusCode).toBeLessThan(500);
      expect(res.body).not.toMatch(INTERNALS);
      expect(res.body, res.body.slice(0, 200)).not.toContain(marker);
    }
    // The database fails under a request (a table is gone): 500 as the last resort, saying nothing of why.
    const user = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('k6@a.com', 'k6'))).json();
    await sql`alter table scim_users rename to scim_users_k6`.execute(t.db.store.db);
    try {
      for (const res of [
        await scim(t.app, a, 'GET', `${a.base}/Users?filter=${encodeURIComponent('userName eq "k6@a.com"')}`),
        await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('k6b@a.com', 'k6b')),
        await scim(t.app, a, 'DELETE', `${a.base}/Users/${user.id}`),
      ]) {
        expect(res.statusCode).toBeGreaterThanOrEqual(500);
        expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
        expect(res.body).not.toMatch(INTERNALS);
        expect(res.body).not.toContain('k6');
      }
    } finally {
      await sql`alter table scim_users_k6 rename to scim_users`.execute(t.db.store.db);
    }
    await sql`alter table audit_events rename to audit_events_k6`.execute(t.db.store.db);
    try {
      const res = await call(t.app, 'GET', '/iam/v1/audit-events', { token: a.adminToken });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ code: 'internal' });
      expect(res.body).not.toMatch(INTERNALS);
    } finally {
      await sql`alter table audit_events_k6 rename to audit_events`.execute(t.db.store.db);
    }
    expect((await scim(t.app, a, 'GET', `${a.base}/Users/${user.id}`)).statusCode).toBe(200);
  });

  it('K7: tokens, codes and secrets in query strings are never logged and never authenticate', async () => {
    const secrets = [a.scimToken, a.adminToken, 'K7-code-value', 'K7-client-secret', OPERATOR_TOKEN];
    const query = `access_token=${encodeURIComponent(a.scimToken)}&code=K7-code-value&client_secret=K7-client-secret&token=${encodeURIComponent(a.adminToken)}&op=${encodeURIComponent(OPERATOR_TOKEN)}`;
    expect((await call(t.app, 'GET', `${a.base}/Users?${query}`)).statusCode).toBe(401);
    expect((await call(t.app, 'GET', `/iam/v1/scim/Users?${query}`)).statusCode).toBe(401);
    expect((await call(t.app, 'GET', `/iam/v1/sso?${query}`)).statusCode).toBe(401);
    expect((await call(t.app, 'GET', `/iam/v1/tenants?${query}`)).statusCode).toBe(401);
    await scim(t.app, a, 'GET', `${a.base}/Users?${query}`);
    await call(t.app, 'GET', `/${a.tenantId}/signin/callback?${query}`);
    await call(t.app, 'GET', `/${a.tenantId}/oidc/auth?${query}`);
    const urls = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => typeof l.url === 'string');
    expect(urls.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      const needle = secret.includes('.') ? secret.split('.')[1]! : secret;
      expect(log.includes(needle), `${secret.slice(0, 8)}… in the log`).toBe(false);
      expect(log.includes(encodeURIComponent(needle)), `${secret.slice(0, 8)}… in the log`).toBe(false);
    }
    expect(urls.some((l) => String(l.url).includes('access_token=[redacted]'))).toBe(true);
  });
});

describe.each(STORE_KINDS)('K6: a failing upstream code exchange on %s', (kind) => {
  let rig: SignInRig;
  let log = '';
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    rig = await startSignInRig(
      kind,
      { clientSecret: 'K6-wrong-entra-secret' },
      pino({ level: 'trace', redact: { paths: REDACT_PATHS } }, sink),
    );
  });
  afterAll(() => rig?.dispose());

  it('shows a friendly page without the upstream body, a stack or the client secret', async () => {
    const id = randomUUID();
    await scim(rig.t.app, rig.tenant, 'POST', `${rig.tenant.base}/Users`, entraUser('k6@contoso.com', id));
    rig.entra.signInAs({ oid: id, upn: 'k6@contoso.com' });
    const browser = new Browser();
    const sign = await beginAppSignIn(rig, {}, browser);
    const page = await browser.follow(sign.authorizationUrl, atApp);
    expect(page.stopped).toBe(false);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.body).toMatch(/^<!doctype html>/i);
    // oidc-provider (the stand-in Entra) answers invalid_client with this description; it stays upstream.
    expect(page.body).not.toMatch(/invalid_client|client authentication failed/i);
    expect(page.body).not.toMatch(INTERNALS);
    expect(page.body).not.toContain('K6-wrong-entra-secret');
    expect(log).not.toContain('K6-wrong-entra-secret');
    const audit = (await call(rig.t.app, 'GET', '/iam/v1/audit-events', { token: rig.tenant.adminToken })).json();
    const refused = audit.items.find((e: { action: string }) => e.action === 'signin.refused');
    // The admin sees why (the upstream error code, not its body) in the audit trail.
    expect(refused.data).toEqual({ reason: 'token_rejected:invalid_client', provider: 'entra' });
  });
});
