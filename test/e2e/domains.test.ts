// Issue 13 item 1: verified domains against a real DNS server on loopback (dns2), the daily re-check driven by the
// test clock, the one-verifier-per-domain race, public-suffix refusal, and the SCIM domain policy with Entra's
// requests. Both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recheckDueDomains } from '../../src/core/domains/recheck.ts';
import { createTxtLookup } from '../../src/dns/txt-lookup.ts';
import { parseKeyring } from '../../src/lib/keyring.ts';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const DAY = 24 * 3_600_000;

describe.each(STORE_KINDS)('verified domains (%s)', (kind) => {
  let t: TestApp;
  let dns: TestDnsServer;
  /** The zone: TXT records by name, as a tenant would publish them. */
  const txt = new Map<string, string[][]>();
  let a: ScimTenant;
  let b: ScimTenant;

  beforeAll(async () => {
    dns = await startDnsServer(
      () => [],
      (name) => txt.get(name) ?? [],
    );
    t = await startTestApp(kind, { ROSTER_DNS_SERVERS: dns.address });
    a = await scimTenant(t.app, 'Contoso');
    b = await scimTenant(t.app, 'Fabrikam');
  });
  afterAll(async () => {
    await t?.dispose();
    await dns?.close();
  });

  const admin = (tenant: ScimTenant, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    call(t.app, method, `/iam/v1${url}`, { token: tenant.adminToken, ...(body === undefined ? {} : { body }) });

  async function claim(tenant: ScimTenant, domain: string) {
    const res = await admin(tenant, 'POST', '/domains', { domain });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; domain: string; verification: { name: string; value: string } };
  }

  const publish = (d: { verification: { name: string; value: string } }, extra: string[][] = []) =>
    txt.set(d.verification.name, [...extra, [d.verification.value]]);

  async function verifiedDomain(tenant: ScimTenant, domain: string) {
    const d = await claim(tenant, domain);
    publish(d);
    const res = await admin(tenant, 'POST', `/domains/${d.id}/verify`);
    expect(res.json().status).toBe('verified');
    return d;
  }

  it('claims a domain with a TXT challenge, verifies it on the DNS server, and fails when the record is gone', async () => {
    const d = await claim(a, 'Contoso.TEST.');
    expect(d).toMatchObject({
      domain: 'contoso.test',
      status: 'pending',
      verification: { type: 'dns-txt', name: '_roster-challenge.contoso.test' },
    });
    expect(d.verification.value).toMatch(/^roster-verification=[A-Za-z0-9_-]{22}$/);

    let res = await admin(a, 'POST', `/domains/${d.id}/verify`);
    expect(res.json()).toMatchObject({ status: 'failed', reason: 'record_not_found' });
    // Another TXT value at the name is not the challenge.
    txt.set(d.verification.name, [['v=spf1 -all']]);
    res = await admin(a, 'POST', `/domains/${d.id}/verify`);
    expect(res.json()).toMatchObject({ status: 'failed', reason: 'record_mismatch' });
    // Published beside other records, and split into two character-strings: still found.
    const value = d.verification.value;
    txt.set(d.verification.name, [['google-site-verification=x'], [value.slice(0, 10), value.slice(10)]]);
    res = await admin(a, 'POST', `/domains/${d.id}/verify`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'verified', verifiedAt: t.clock.now().toISOString() });
    expect(dns.queries.get('TXT _roster-challenge.contoso.test')).toBe(3);

    expect((await admin(a, 'GET', `/domains/${d.id}`)).json().status).toBe('verified');
    expect((await admin(a, 'GET', '/domains')).json().items.map((x: { domain: string }) => x.domain)).toContain(
      'contoso.test',
    );
    // Tenant B sees none of it.
    expect((await admin(b, 'GET', `/domains/${d.id}`)).statusCode).toBe(404);

    txt.delete(d.verification.name);
    res = await admin(a, 'POST', `/domains/${d.id}/verify`);
    expect(res.json()).toMatchObject({ status: 'failed', reason: 'record_not_found' });

    const events = (await admin(a, 'GET', '/events')).json().data as { type: string; data: { domain: string } }[];
    expect(events.filter((e) => e.type.startsWith('domain.')).map((e) => e.type)).toEqual([
      'domain.verified',
      'domain.verification_failed',
    ]);
    expect((await admin(a, 'DELETE', `/domains/${d.id}`)).statusCode).toBe(204);
    expect((await admin(a, 'GET', `/domains/${d.id}`)).statusCode).toBe(404);
  });

  it('refuses public suffixes and invalid names with problem+json, and normalises IDNA names to punycode', async () => {
    for (const domain of ['co.uk', 'github.io', 'blogspot.com', 'Co.Uk.']) {
      const res = await admin(a, 'POST', '/domains', { domain });
      expect(res.statusCode, domain).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('domains.public_suffix');
    }
    for (const domain of ['', 'localhost', 'not a domain', '-bad.example', 'a..example', '10.0.0.1', 'x@y.example']) {
      const res = await admin(a, 'POST', '/domains', { domain });
      expect(res.statusCode, domain).toBe(400);
      expect(res.json().code).toBe('validation.failed');
    }
    expect((await admin(a, 'POST', '/domains', { domain: 42 })).statusCode).toBe(400);
    const idn = await claim(a, 'Bücher.example');
    expect(idn.domain).toBe('xn--bcher-kva.example');
    expect((await admin(a, 'POST', '/domains', { domain: 'BÜCHER.example.' })).json().code).toBe('domains.exists');
  });

  it('lets one tenant verify a domain: two racing tenants, exactly one wins', async () => {
    for (let round = 0; round < 4; round++) {
      const domain = `race${round}.test`;
      const [da, db] = [await claim(a, domain), await claim(b, domain)];
      txt.set(da.verification.name, [[da.verification.value], [db.verification.value]]);
      const answers = await Promise.all([
        admin(a, 'POST', `/domains/${da.id}/verify`),
        admin(b, 'POST', `/domains/${db.id}/verify`),
      ]);
      const statuses = answers.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([200, 409]);
      const loser = answers.find((r) => r.statusCode === 409)!;
      expect(loser.json().code).toBe('domains.taken');
      const winner = answers.find((r) => r.statusCode === 200)!;
      expect(winner.json().status).toBe('verified');
    }
    // A claim on a domain another tenant holds verified is refused up front.
    expect((await admin(b, 'POST', '/domains', { domain: 'race0.test' })).statusCode).toBe(409);
  });

  it('re-checks verified domains daily: three failures in a row make it failed, with an audit entry and an event', async () => {
    const deps = {
      store: t.db.store,
      keyring: parseKeyring(t.secretKey),
      clock: t.clock,
      lookupTxt: createTxtLookup([dns.address]),
    };
    const d = await verifiedDomain(a, 'recheck.test');
    const value = txt.get(d.verification.name)!;
    const status = async () => (await admin(a, 'GET', `/domains/${d.id}`)).json();
    // Other tests' verified domains are due too; this domain's checks are counted by the DNS server.
    const lookups = () => dns.queries.get(`TXT ${d.verification.name}`) ?? 0;
    const before = lookups();

    // Not due yet.
    await recheckDueDomains(deps);
    expect(lookups()).toBe(before);
    txt.delete(d.verification.name);
    t.clock.advance(DAY);
    // Two processes' rounds at once: the lease lets exactly one of them check each due domain.
    const [r1, r2] = await Promise.all([recheckDueDomains(deps), recheckDueDomains(deps)]);
    expect(lookups()).toBe(before + 1);
    expect(r1.checked + r2.checked).toBeGreaterThan(0);
    expect(await status()).toMatchObject({ status: 'verified', reason: 'record_not_found' });
    // A success in between resets the count.
    txt.set(d.verification.name, value);
    t.clock.advance(DAY);
    await recheckDueDomains(deps);
    expect((await status()).reason).toBeUndefined();

    txt.delete(d.verification.name);
    for (let day = 1; day <= 3; day++) {
      t.clock.advance(DAY);
      const checksBefore = lookups();
      await recheckDueDomains(deps);
      expect(lookups()).toBe(checksBefore + 1);
      expect((await status()).status).toBe(day === 3 ? 'failed' : 'verified');
    }
    // A failed domain is no longer re-checked.
    const afterFailed = lookups();
    t.clock.advance(DAY);
    await recheckDueDomains(deps);
    expect(lookups()).toBe(afterFailed);

    const audit = (await admin(a, 'GET', '/audit-events?limit=50')).json().items as {
      action: string;
      actor: string;
      data: Record<string, unknown>;
    }[];
    expect(audit.find((e) => e.actor === 'system:domain-recheck')).toMatchObject({
      action: 'domain.verification_failed',
      data: { domain: 'recheck.test', reason: 'record_not_found', failures: 3 },
    });
    const events = (await admin(a, 'GET', '/events?limit=1000')).json().data as {
      type: string;
      data: { domain: string };
    }[];
    expect(events.filter((e) => e.data.domain === 'recheck.test').map((e) => e.type)).toEqual([
      'domain.verified',
      'domain.verification_failed',
    ]);
  });

  it("a re-check's result does not overwrite an admin's verify or delete that came in during its lookup", async () => {
    const d = await verifiedDomain(a, 'lease.test');
    t.clock.advance(DAY);
    const at = t.clock.now().toISOString();
    const lease = new Date(t.clock.now().getTime() + 60_000).toISOString();
    const [due] = (await t.db.store.domains.due(at, 1000)).filter((x) => x.id === d.id);
    expect(due).toBeDefined();
    expect(await t.db.store.domains.claim(d.id, at, lease)).toBe(true);
    // Held: a second claim fails.
    expect(await t.db.store.domains.claim(d.id, at, lease)).toBe(false);
    // The admin removes the record and verifies meanwhile: failed, lease cleared.
    txt.delete(d.verification.name);
    expect((await admin(a, 'POST', `/domains/${d.id}/verify`)).json().status).toBe('failed');
    // The stale re-check result (still verified) is not written.
    expect(await t.db.store.domains.update({ ...due!, failures: 0, leaseUntil: null }, lease)).toBe(false);
    expect((await admin(a, 'GET', `/domains/${d.id}`)).json().status).toBe('failed');
  });

  it('settings: domainPolicy defaults off, merges patches, and refuses unknown keys and non-booleans', async () => {
    expect((await admin(b, 'GET', '/settings')).json()).toEqual({
      defaultRole: null,
      domainPolicy: {
        scimRestrictToVerifiedDomains: false,
        jitRestrictToVerifiedDomains: false,
        ssoRequiredForVerifiedDomains: false,
      },
      // Roster ID's SCIM-alone setting (ADR 0040), off by default.
      scimAloneMode: false,
    });
    const res = await admin(b, 'PATCH', '/settings', { domainPolicy: { ssoRequiredForVerifiedDomains: true } });
    expect(res.json().domainPolicy).toMatchObject({
      ssoRequiredForVerifiedDomains: true,
      scimRestrictToVerifiedDomains: false,
    });
    for (const body of [{ domainPolicy: { nope: true } }, { domainPolicy: { jitRestrictToVerifiedDomains: 'yes' } }]) {
      const bad = await admin(b, 'PATCH', '/settings', body);
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await admin(b, 'GET', '/settings')).json().domainPolicy.ssoRequiredForVerifiedDomains).toBe(true);
  });

  it('SCIM under scimRestrictToVerifiedDomains refuses userNames and primary emails outside verified domains', async () => {
    // Provisioned before the policy, in a domain the tenant never verified.
    const legacy = await scim(t.app, b, 'POST', `${b.base}/Users`, entraUser('old@elsewhere.test', 'ext-old'));
    expect(legacy.statusCode).toBe(201);
    await verifiedDomain(b, 'fabrikam.test');
    await claim(b, 'pending.test');
    expect(
      (await admin(b, 'PATCH', '/settings', { domainPolicy: { scimRestrictToVerifiedDomains: true } })).statusCode,
    ).toBe(200);

    const refused = async (res: Awaited<ReturnType<typeof scim>>, what: string) => {
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.json()).toMatchObject({ scimType: 'invalidValue', status: '400' });
      expect(res.json().detail).toContain(what);
      expect(res.json().detail).toContain('scimRestrictToVerifiedDomains');
    };
    await refused(await scim(t.app, b, 'POST', `${b.base}/Users`, entraUser('x@other.test', 'e1')), 'userName');
    await refused(await scim(t.app, b, 'POST', `${b.base}/Users`, entraUser('x@pending.test', 'e2')), 'userName');
    await refused(
      await scim(
        t.app,
        b,
        'POST',
        `${b.base}/Users`,
        entraUser('x@fabrikam.test', 'e3', {
          emails: [{ primary: true, type: 'work', value: 'x@other.test' }],
        }),
      ),
      'primary email',
    );
    const ok = await scim(t.app, b, 'POST', `${b.base}/Users`, entraUser('Ann@Fabrikam.test', 'e4'));
    expect(ok.statusCode).toBe(201);
    const id = ok.json().id as string;
    // Entra's PATCH of the UPN, and a PUT, into another domain.
    await refused(
      await scim(
        t.app,
        b,
        'PATCH',
        `${b.base}/Users/${id}`,
        patch({ op: 'Replace', path: 'userName', value: 'ann@other.test' }),
      ),
      'userName',
    );
    await refused(
      await scim(
        t.app,
        b,
        'PUT',
        `${b.base}/Users/${id}`,
        entraUser('ann@fabrikam.test', 'e4', {
          emails: [{ primary: true, type: 'work', value: 'ann@other.test' }],
        }),
      ),
      'primary email',
    );
    // Deactivating the user who predates the policy still works: it does not touch the userName or email.
    const off = await scim(
      t.app,
      b,
      'PATCH',
      `${b.base}/Users/${legacy.json().id}`,
      patch({ op: 'Replace', path: 'active', value: false }),
    );
    expect([200, 204]).toContain(off.statusCode);
    // Tenant A's policy is its own: A is unrestricted.
    expect((await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('x@other.test', 'e5'))).statusCode).toBe(201);
  });
});
