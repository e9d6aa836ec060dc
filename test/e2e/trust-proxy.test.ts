// ROSTER_TRUST_PROXY: behind a reverse proxy the client's address comes from X-Forwarded-For, but only from the
// proxies named; seen through the failed-authentication limit, which is kept per client address.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

describe('ROSTER_TRUST_PROXY parsing', () => {
  const load = (value: string) => loadConfig({ ROSTER_TRUST_PROXY: value }).trustProxy;
  it.each([
    ['', false],
    ['false', false],
    ['1', 1],
    ['10.0.0.1', ['10.0.0.1']],
    ['127.0.0.1, 10.0.0.0/8,::1,fd00::/8', ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('%j → %j', (value, expected) => {
    expect(load(value)).toEqual(expected);
  });
  it('is off by default', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
  });
  it.each([
    ['true', 'any client choose its own address'],
    ['0', 'between 1 and 10'],
    ['11', 'between 1 and 10'],
    ['proxy.internal', '"proxy.internal" is not an IP address'],
    ['10.0.0.0/33', '"10.0.0.0/33"'],
    ['10.0.0.1,', '""'],
    ['10.0.0.0/8/1', '"10.0.0.0/8/1"'],
  ])('refuses %j', (value, message) => {
    expect(() => load(value)).toThrow(ConfigError);
    expect(() => load(value)).toThrow(message);
  });
});

describe('client address behind a proxy', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  /** Two failed SCIM authentications allowed per address (the test clock stands still, so none refill). */
  const start = (trust: string) =>
    startTestApp('sqlite', {
      ROSTER_TRUST_PROXY: trust,
      ROSTER_AUTH_FAILURE_RATE: '1',
      ROSTER_AUTH_FAILURE_BURST: '2',
    });
  const failFrom = async (forwardedFor: string, remoteAddress = '127.0.0.1') =>
    (
      await t!.app.inject({
        method: 'GET',
        url: '/iam/v1/scim/Users',
        remoteAddress,
        headers: { authorization: 'Bearer scim_wrong', 'x-forwarded-for': forwardedFor },
      })
    ).statusCode;

  it('counts failures per forwarded client when the proxy is trusted', async () => {
    t = await start('127.0.0.1');
    expect([await failFrom('203.0.113.7'), await failFrom('203.0.113.7'), await failFrom('203.0.113.7')]).toEqual([
      401, 401, 429,
    ]);
    // Another client behind the same proxy has its own allowance.
    expect(await failFrom('198.51.100.2')).toBe(401);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    t = await start('10.0.0.1');
    expect([await failFrom('203.0.113.7'), await failFrom('203.0.113.8')]).toEqual([401, 401]);
    // The peer's own address was counted, whatever it claimed to forward for.
    expect(await failFrom('198.51.100.2')).toBe(429);
    expect(await failFrom('198.51.100.2', '10.0.0.1')).toBe(401);
  });

  it('ignores X-Forwarded-For when unset: every request counts against the peer', async () => {
    t = await start('');
    expect([await failFrom('203.0.113.7'), await failFrom('203.0.113.8'), await failFrom('203.0.113.9')]).toEqual([
      401, 401, 429,
    ]);
  });
});
