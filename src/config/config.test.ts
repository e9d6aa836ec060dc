import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { resolveKeyring } from './secret-key.ts';

describe('loadConfig', () => {
  it('has documented defaults: port 8080, embedded SQLite, derived public URL', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.database).toEqual({ kind: 'sqlite', path: './data/roster.db' });
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
    expect(c.limits).toEqual({
      adminBodyBytes: 65536,
      scimBodyBytes: 1048576,
      oversizeDrain: { bytes: 16 * 1024 * 1024, ms: 5000 },
    });
    expect(c.timeouts).toEqual({ requestMs: 30_000, headersMs: 10_000 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('derives the public URL from HOST/PORT and strips a trailing slash from ROSTER_PUBLIC_URL', () => {
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ HOST: '::1', PORT: '9000' }).publicUrl).toBe('http://[::1]:9000');
    expect(loadConfig({ ROSTER_PUBLIC_URL: 'https://id.example.com/' }).publicUrl).toBe('https://id.example.com');
  });

  it('selects PostgreSQL by URL and then requires ROSTER_SECRET_KEY', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db' })).toThrow('ROSTER_SECRET_KEY is required');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', ROSTER_SECRET_KEY: 'x' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
    });
  });

  it('reads the domain verification DNS servers, the re-check poll and the HRD login-initiation URI', () => {
    const none = loadConfig({});
    expect([none.dnsServers, none.domainRecheckPollMs, none.signinInitiateLoginUri]).toEqual([
      undefined,
      600_000,
      undefined,
    ]);
    const c = loadConfig({
      ROSTER_DNS_SERVERS: '10.0.0.2, 127.0.0.1:5353,[fd00::2]:53',
      ROSTER_DOMAIN_RECHECK_POLL_MS: '5000',
      ROSTER_SIGNIN_INITIATE_LOGIN_URI: 'https://app.example.com/login?from=roster',
    });
    expect(c.dnsServers).toEqual(['10.0.0.2', '127.0.0.1:5353', '[fd00::2]:53']);
    expect(c.domainRecheckPollMs).toBe(5000);
    expect(c.signinInitiateLoginUri).toBe('https://app.example.com/login?from=roster');
    expect(loadConfig({ ROSTER_SIGNIN_INITIATE_LOGIN_URI: 'http://127.0.0.1:3000/login' }).signinInitiateLoginUri).toBe(
      'http://127.0.0.1:3000/login',
    );
    expect(() => loadConfig({ ROSTER_DNS_SERVERS: 'dns.example.com' })).toThrow('ROSTER_DNS_SERVERS');
    expect(() => loadConfig({ ROSTER_SIGNIN_INITIATE_LOGIN_URI: 'http://app.example.com/login' })).toThrow('https');
    expect(() => loadConfig({ ROSTER_SIGNIN_INITIATE_LOGIN_URI: 'not a url' })).toThrow('absolute URL');
  });

  it('has the database statement timeout and the upstream clock tolerance as settings', () => {
    expect(loadConfig({}).dbStatementTimeoutMs).toBe(10_000);
    expect(loadConfig({}).oidcClockToleranceSeconds).toBe(30);
    const c = loadConfig({ ROSTER_DB_STATEMENT_TIMEOUT_MS: '250', ROSTER_OIDC_CLOCK_TOLERANCE_SECONDS: '120' });
    expect([c.dbStatementTimeoutMs, c.oidcClockToleranceSeconds]).toEqual([250, 120]);
    expect(loadConfig({}).oidcJwksCooldownSeconds).toBe(30);
    expect(loadConfig({ ROSTER_OIDC_JWKS_COOLDOWN_SECONDS: '0' }).oidcJwksCooldownSeconds).toBe(0);
  });

  it('shares rate limits through PostgreSQL by default, and keeps them per process on SQLite', () => {
    const pgEnv = { DATABASE_URL: 'postgres://u@h/db', ROSTER_SECRET_KEY: 'x' };
    expect(loadConfig(pgEnv).rateLimits).toMatchObject({ scope: 'cluster', maxBatch: 100 });
    expect(loadConfig({ ...pgEnv, ROSTER_RATE_LIMIT_SCOPE: 'process' }).rateLimits.scope).toBe('process');
    expect(loadConfig({}).rateLimits.scope).toBe('process');
    expect(loadConfig({ ...pgEnv, ROSTER_RATE_LIMIT_MAX_BATCH: '1' }).rateLimits.maxBatch).toBe(1);
  });

  it('limits sign-in per address and per tenant, 20/s (200) and 100/s (1,000) unless set', () => {
    expect(loadConfig({}).signInRateLimits).toEqual({
      address: { rate: 20, burst: 200 },
      tenant: { rate: 100, burst: 1000 },
    });
    const c = loadConfig({
      ROSTER_SIGNIN_RATE_ADDRESS: '5',
      ROSTER_SIGNIN_BURST_ADDRESS: '50',
      ROSTER_SIGNIN_RATE_TENANT: '7',
      ROSTER_SIGNIN_BURST_TENANT: '70',
    });
    expect(c.signInRateLimits).toEqual({ address: { rate: 5, burst: 50 }, tenant: { rate: 7, burst: 70 } });
    expect(() => loadConfig({ ROSTER_SIGNIN_RATE_ADDRESS: '0' })).toThrow('ROSTER_SIGNIN_RATE_ADDRESS');
    expect(() => loadConfig({ ROSTER_SIGNIN_BURST_TENANT: '1.5' })).toThrow('ROSTER_SIGNIN_BURST_TENANT');
  });

  it('delivers webhooks to public https targets only, 10 s, 4 KiB of the answer, retried for 72 hours, unless set', () => {
    const d = loadConfig({}).webhooks;
    expect(d).toEqual({ allowPrivate: false, timeoutMs: 10_000, maxResponseBytes: 4096, retryHours: 72 });
    expect('dnsServers' in d).toBe(false);
    const c = loadConfig({
      ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
      ROSTER_WEBHOOK_TIMEOUT_MS: '1000',
      ROSTER_WEBHOOK_RESPONSE_BYTES: '0',
      ROSTER_WEBHOOK_DNS_SERVERS: '127.0.0.1:5353, [::1]:53,10.0.0.2',
      ROSTER_WEBHOOK_RETRY_HOURS: '720',
    }).webhooks;
    expect(c).toEqual({
      allowPrivate: true,
      timeoutMs: 1000,
      maxResponseBytes: 0,
      dnsServers: ['127.0.0.1:5353', '[::1]:53', '10.0.0.2'],
      retryHours: 720,
    });
    expect(loadConfig({ ROSTER_WEBHOOK_ALLOW_PRIVATE: 'false' }).webhooks.allowPrivate).toBe(false);
  });

  it.each([
    [{ ROSTER_WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'ROSTER_WEBHOOK_ALLOW_PRIVATE must be true or false'],
    [{ ROSTER_WEBHOOK_TIMEOUT_MS: '999' }, 'ROSTER_WEBHOOK_TIMEOUT_MS'],
    [{ ROSTER_WEBHOOK_TIMEOUT_MS: '60001' }, 'ROSTER_WEBHOOK_TIMEOUT_MS'],
    [{ ROSTER_WEBHOOK_RESPONSE_BYTES: '-1' }, 'ROSTER_WEBHOOK_RESPONSE_BYTES'],
    [{ ROSTER_WEBHOOK_RETRY_HOURS: '0' }, 'ROSTER_WEBHOOK_RETRY_HOURS'],
    [{ ROSTER_WEBHOOK_RETRY_HOURS: '721' }, 'ROSTER_WEBHOOK_RETRY_HOURS'],
    [{ ROSTER_WEBHOOK_DNS_SERVERS: 'dns.example.com' }, 'ROSTER_WEBHOOK_DNS_SERVERS'],
    [{ ROSTER_WEBHOOK_DNS_SERVERS: '127.0.0.1:99999' }, 'ROSTER_WEBHOOK_DNS_SERVERS'],
    [{ ROSTER_DB_STATEMENT_TIMEOUT_MS: '10' }, 'ROSTER_DB_STATEMENT_TIMEOUT_MS'],
    [{ ROSTER_OIDC_CLOCK_TOLERANCE_SECONDS: '-1' }, 'ROSTER_OIDC_CLOCK_TOLERANCE_SECONDS'],
    [{ ROSTER_OIDC_JWKS_COOLDOWN_SECONDS: '-1' }, 'ROSTER_OIDC_JWKS_COOLDOWN_SECONDS'],
    [{ ROSTER_RATE_LIMIT_SCOPE: 'cluster' }, 'needs PostgreSQL'],
    [{ ROSTER_RATE_LIMIT_SCOPE: 'global' }, 'cluster or process'],
    [{ ROSTER_RATE_LIMIT_MAX_BATCH: '0' }, 'ROSTER_RATE_LIMIT_MAX_BATCH'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'sqlite:' }, 'file path'],
    [{ ROSTER_PUBLIC_URL: 'not a url' }, 'absolute URL'],
    [{ ROSTER_PUBLIC_URL: 'ftp://x' }, 'http(s)'],
    [{ ROSTER_BOOTSTRAP_TOKEN: 'short' }, '32 to 512'],
    [{ ROSTER_HEADERS_TIMEOUT_MS: '40000' }, 'must not exceed ROSTER_REQUEST_TIMEOUT_MS'],
    [{ ROSTER_REQUEST_TIMEOUT_MS: '50' }, 'ROSTER_REQUEST_TIMEOUT_MS'],
    [{ ROSTER_METRICS_TOKEN: 'short' }, 'ROSTER_METRICS_TOKEN must be 32 to 512'],
    [{ ROSTER_METRICS_PORT: '8080' }, 'ROSTER_METRICS_PORT must differ from PORT'],
    [{ ROSTER_METRICS_PORT: '70000' }, 'ROSTER_METRICS_PORT must be an integer'],
    [{ ROSTER_METRICS_TENANT_LABEL: 'yes' }, 'ROSTER_METRICS_TENANT_LABEL must be true or false'],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('serves metrics on the main port, for the operator only, without a tenant label, unless set', () => {
    expect(loadConfig({}).metrics).toEqual({
      token: undefined,
      port: undefined,
      host: '127.0.0.1',
      tenantLabel: false,
    });
    const token = 'm'.repeat(40);
    expect(
      loadConfig({
        ROSTER_METRICS_TOKEN: token,
        ROSTER_METRICS_PORT: '9464',
        ROSTER_METRICS_HOST: '10.0.0.5',
        ROSTER_METRICS_TENANT_LABEL: 'true',
      }).metrics,
    ).toEqual({ token, port: 9464, host: '10.0.0.5', tenantLabel: true });
  });

  it('accepts only configured, non-active keys as ROSTER_SECRET_KEY_RETIRING', () => {
    const keys = `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`;
    const env = { DATABASE_URL: 'postgres://u@h/db', ROSTER_SECRET_KEY: keys };
    expect(resolveKeyring(loadConfig({ ...env, ROSTER_SECRET_KEY_RETIRING: 'k1' })).keyring.active.id).toBe('k2');
    expect(() => resolveKeyring(loadConfig({ ...env, ROSTER_SECRET_KEY_RETIRING: 'k2' }))).toThrow('RETIRING');
    expect(() => resolveKeyring(loadConfig({ ...env, ROSTER_SECRET_KEY_RETIRING: 'k9' }))).toThrow('RETIRING');
  });
});
