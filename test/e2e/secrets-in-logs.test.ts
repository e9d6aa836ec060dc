// Security plan K5/K7: run a full setup and provisioning flow at the most verbose log level, then look for every
// secret the flow produced in the logs, the audit trail and the provisioning log. None may appear.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { REDACT_PATHS } from '../../src/http/redact.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { call, OPERATOR_TOKEN, SEED_001_PROVIDER } from '../support/app.ts';
import { entraUser, patch, scim } from '../support/scim.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

describe.each(STORE_KINDS)('no secret reaches a log on %s', (kind) => {
  let db: TestStore;
  let app: Awaited<ReturnType<typeof createApp>>;
  let output = '';
  beforeAll(async () => {
    db = await openTestStore(kind);
    const secretKey = generateKeyText();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const config = loadConfig({
      ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
      ROSTER_SECRET_KEY: secretKey,
      DATABASE_URL: db.location.kind === 'sqlite' ? `sqlite:${db.location.path}` : db.location.url,
      LOG_LEVEL: 'trace',
    });
    app = await createApp({
      config,
      store: db.store,
      keyring: parseKeyring(secretKey),
      clock: fixedClock('2026-11-23T10:00:00Z'),
      logger,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('keeps tokens, client secrets, passwords and filter values out of logs, audit and provisioning log', async () => {
    const secrets: string[] = [OPERATOR_TOKEN, 'my-client-secret'];
    const tenant = (
      await call(app, 'POST', '/iam/v1/tenants', { token: OPERATOR_TOKEN, body: { name: 'Secretive' } })
    ).json();
    secrets.push(tenant.adminToken);
    await call(app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: SEED_001_PROVIDER });
    const token = (
      await call(app, 'POST', '/iam/v1/scim', {
        token: tenant.adminToken,
        body: { provider: 'string', providerDisplayName: 'x' },
      })
    ).json();
    secrets.push(token.token);
    const t = { scimToken: token.token };
    const base = `/${tenant.id}/api/scim/v2`;
    const password = 'Pa55-word-that-must-stay-secret';
    secrets.push(password);
    const user = (
      await scim(app, t, 'POST', `${base}/Users`, { ...entraUser('secret.person@x.com', 'sp'), password })
    ).json();
    await scim(
      app,
      t,
      'PATCH',
      `${base}/Users/${user.id}`,
      patch({ op: 'replace', path: 'password', value: `${password}-2` }),
    );
    const filterValue = 'filter-value-nobody-may-log';
    secrets.push(filterValue);
    await scim(app, t, 'GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "${filterValue}"`)}`);
    await scim(app, t, 'GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "${filterValue}" and`)}`);
    await scim(app, t, 'POST', `${base}/Users`, `{"userName": "${filterValue}",`);
    await call(app, 'GET', '/iam/v1/sso', { headers: { authorization: `Bearer ${token.token}` } });
    await call(app, 'DELETE', `/iam/v1/scim/${token.id}`, { token: tenant.adminToken });
    await scim(app, t, 'GET', `${base}/Users`);

    const audit = (await call(app, 'GET', '/iam/v1/audit-events?limit=200', { token: tenant.adminToken })).body;
    const provisioning = (await call(app, 'GET', '/iam/v1/scim/logs?limit=200', { token: tenant.adminToken })).body;
    expect(output.length).toBeGreaterThan(1000);
    expect(output).toContain('"url":"/');
    for (const secret of secrets) {
      // The secret part of a token is what must never leak; its public id may be logged.
      const needle = secret.includes('.') && /^(op|adm|scim)_/.test(secret) ? secret.split('.')[1]! : secret;
      expect(output.includes(needle), `log contains ${secret.slice(0, 6)}…`).toBe(false);
      expect(audit.includes(needle), `audit contains ${secret.slice(0, 6)}…`).toBe(false);
      expect(provisioning.includes(needle), `provisioning log contains ${secret.slice(0, 6)}…`).toBe(false);
    }
    expect(provisioning).toContain('secret.person@x.com'); // the log is useful: it names who was provisioned
  });
});
