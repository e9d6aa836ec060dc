// Webhooks (issue 11, item 3) through the app on both stores, to a real receiver on loopback that checks every
// signature with standardwebhooks: order, filters, tenant isolation, retries with backoff on the app's clock,
// disabling, secret rotation, the deliveries API, and the secret at rest.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, OPERATOR_TOKEN, startTestApp, type TestApp } from '../support/app.ts';
import { entraUser, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { type Received, type Receiver, startReceiver, verifies } from '../support/webhook-receiver.ts';

const HOUR = 3_600_000;
const ids = (rs: Received[]) => rs.map((r) => JSON.parse(r.body).id as string);

describe.each(STORE_KINDS)('webhooks on %s', (kind) => {
  let t: TestApp;
  let rx: Receiver;
  let a: ScimTenant;
  let b: ScimTenant;
  /** path → every secret the endpoint has had; each request must verify with one of them. */
  const secrets = new Map<string, string[]>();

  const hook = async (token: string, path: string, extra: object = {}, base = '/iam/v1/webhooks') => {
    const res = await call(t.app, 'POST', base, { token, body: { url: `${rx.origin}${path}`, ...extra } });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    secrets.set(path, [body.secret]);
    return body as { id: string; secret: string };
  };
  const createUser = async (tenant: ScimTenant, name: string) => {
    const res = await scim(t.app, tenant, 'POST', `${tenant.base}/Users`, entraUser(`${name}@x.example`, name));
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  /** The tenant's feed (after `cursor`), and where it ends. */
  const feedAfter = async (tenant: ScimTenant, cursor?: string) => {
    const q = cursor === undefined ? '' : `&after=${cursor}`;
    const res = await call(t.app, 'GET', `/iam/v1/events?limit=1000${q}`, { token: tenant.adminToken });
    expect(res.json().hasMore).toBe(false);
    return res.json() as { data: { id: string; type: string; data: Record<string, unknown> }[]; nextCursor: string };
  };
  const feed = async (tenant: ScimTenant, cursor?: string) => (await feedAfter(tenant, cursor)).data;
  /** What `read` answers once `test` holds (or after about 10 s, for the caller's assertion to show). */
  const once = async <T>(read: () => Promise<T>, test: (value: T) => boolean): Promise<T> => {
    for (let i = 0; ; i++) {
      const value = await read();
      if (test(value) || i > 500) return value;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /**
   * The feed once `test` holds. On PostgreSQL an acknowledged write's event shows once every older transaction has
   * ended (ADR 0018), and the fan-out's short transactions run all the time while endpoints exist.
   */
  const feedOnce = (tenant: ScimTenant, cursor: string | undefined, test: (events: { type: string }[]) => boolean) =>
    once(() => feed(tenant, cursor), test);
  /** The webhook as GET answers it, once `test` holds (the receiver sees a request before its outcome is written). */
  const webhookOnce = (tenant: ScimTenant, id: string, test: (w: Record<string, unknown>) => boolean) =>
    once(async () => (await call(t.app, 'GET', `/iam/v1/webhooks/${id}`, { token: tenant.adminToken })).json(), test);
  const deliveries = async (tenant: ScimTenant, id: string, q = '') =>
    (await call(t.app, 'GET', `/iam/v1/webhooks/${id}/deliveries${q}`, { token: tenant.adminToken })).json();
  // A batch's results are written while the next batch is sent: the receiver can see a delivery before the
  // deliveries API shows its outcome.
  const deliveriesOnce = (tenant: ScimTenant, id: string, test: (items: { status: string }[]) => boolean) =>
    once(
      () => deliveries(tenant, id),
      (page) => test(page.items),
    );

  beforeAll(async () => {
    rx = await startReceiver();
    t = await startTestApp(kind, { ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true', ROSTER_WEBHOOK_POLL_MS: '50' });
    a = await scimTenant(t.app, 'A');
    b = await scimTenant(t.app, 'B');
  });
  afterAll(async () => {
    // Every request that reached the receiver was signed with a secret its endpoint had.
    for (const r of rx?.received ?? [])
      expect(
        secrets.get(r.path)?.some((s) => verifies(s, r)),
        r.path,
      ).toBe(true);
    await t?.dispose();
    await rx?.close();
  });

  it('delivers SCIM writes in feed order with bodies identical to the feed, by type, tenant and to the operator', async () => {
    const [aStart, bStart] = [(await feedAfter(a)).nextCursor, (await feedAfter(b)).nextCursor];
    const all = await hook(a.adminToken, '/a-all');
    expect(all.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await hook(a.adminToken, '/a-groups', { eventTypes: ['group.created'] });
    await hook(b.adminToken, '/b-all');
    await hook(OPERATOR_TOKEN, '/operator', {}, '/iam/v1/operator/webhooks');
    for (let i = 0; i < 5; i++) await createUser(a, `order-${i}`);
    const g = await scim(t.app, a, 'POST', `${a.base}/Groups`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Readers',
    });
    expect(g.statusCode).toBe(201);
    await createUser(b, 'b-only');
    const aFeed = await feedOnce(a, aStart, (events) => events.length >= 6);
    const bFeed = await feedOnce(b, bStart, (events) => events.length >= 1);
    expect(aFeed).toHaveLength(6);
    await rx.until(() => rx.delivered('/a-all').length >= aFeed.length && rx.delivered('/operator').length >= 7);
    await rx.until(() => rx.delivered('/b-all').length >= 1 && rx.delivered('/a-groups').length >= 1);

    // Byte for byte the feed's elements, in feed order; webhook-id is the event id.
    const got = rx.delivered('/a-all');
    expect(got.map((r) => r.body)).toEqual(aFeed.map((e) => JSON.stringify(e)));
    expect(got.map((r) => r.headers['webhook-id'])).toEqual(aFeed.map((e) => e.id));
    expect(ids(rx.delivered('/a-groups'))).toEqual(aFeed.filter((e) => e.type === 'group.created').map((e) => e.id));
    expect(ids(rx.delivered('/b-all'))).toEqual(bFeed.map((e) => e.id));
    const aIds = new Set(aFeed.map((e) => e.id));
    expect(ids(rx.delivered('/b-all')).some((id) => aIds.has(id))).toBe(false);
    // The operator's endpoint gets both tenants, each tenant's in its feed order.
    const op = ids(rx.delivered('/operator'));
    expect(op.filter((id) => aIds.has(id))).toEqual(aFeed.map((e) => e.id));
    expect(op.filter((id) => !aIds.has(id))).toEqual(bFeed.map((e) => e.id));
    for (const r of got) expect(verifies(all.secret, r)).toBe(true);
  });

  it('keeps each token to its own endpoints, and never shows or stores the secret in clear', async () => {
    const mine = await hook(a.adminToken, '/a-private');
    for (const [method, path] of [
      ['GET', `/iam/v1/webhooks/${mine.id}`],
      ['PATCH', `/iam/v1/webhooks/${mine.id}`],
      ['DELETE', `/iam/v1/webhooks/${mine.id}`],
      ['GET', `/iam/v1/webhooks/${mine.id}/deliveries`],
      ['POST', `/iam/v1/webhooks/${mine.id}/secret`],
      ['GET', `/iam/v1/operator/webhooks/${mine.id}`],
    ] as const) {
      const token = path.includes('/operator/') ? OPERATOR_TOKEN : b.adminToken;
      const res = await call(t.app, method, path, {
        token,
        ...(method === 'PATCH' ? { body: { enabled: false } } : {}),
      });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(res.json().code).toBe('webhooks.not_found');
    }
    expect((await call(t.app, 'GET', '/iam/v1/operator/webhooks', { token: a.adminToken })).statusCode).toBe(403);
    // The operator's endpoints are out of a tenant token's reach, through the tenant routes too.
    const opHook = (await call(t.app, 'GET', '/iam/v1/operator/webhooks', { token: OPERATOR_TOKEN })).json().items[0];
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await call(t.app, method, `/iam/v1/webhooks/${opHook.id}`, {
        token: a.adminToken,
        ...(method === 'PATCH' ? { body: { enabled: false } } : {}),
      });
      expect(res.statusCode, method).toBe(404);
    }
    const opList = (await call(t.app, 'GET', '/iam/v1/operator/webhooks', { token: OPERATOR_TOKEN })).json().items;
    expect(opList.map((w: { url: string }) => w.url)).toEqual([`${rx.origin}/operator`]);
    const bList = (await call(t.app, 'GET', '/iam/v1/webhooks', { token: b.adminToken })).json().items;
    expect(bList.map((w: { url: string }) => w.url)).toEqual([`${rx.origin}/b-all`]);
    const listed = await call(t.app, 'GET', '/iam/v1/webhooks', { token: a.adminToken });
    const got = await call(t.app, 'GET', `/iam/v1/webhooks/${mine.id}`, { token: a.adminToken });
    for (const res of [listed, got]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(mine.secret);
      expect(res.body).not.toContain('"secret"');
    }
    const row = await sql<Record<string, unknown>>`select * from webhooks where id = ${mine.id}`.execute(t.db.store.db);
    const raw = JSON.stringify(row.rows[0]);
    expect(raw).not.toContain(mine.secret);
    expect(raw).not.toContain(mine.secret.slice('whsec_'.length));
    expect(String(row.rows[0]!.secret_sealed)).toMatch(/^v1\./);
    expect((await call(t.app, 'DELETE', `/iam/v1/webhooks/${mine.id}`, { token: a.adminToken })).statusCode).toBe(204);
  });

  it('refuses bad input with problem+json', async () => {
    const cases: [unknown, number, string, string?][] = [
      [{ url: 'not a url' }, 400, 'webhooks.url_refused', 'url'],
      [{ url: 'ftp://127.0.0.1/x' }, 400, 'webhooks.url_refused', 'url'],
      [
        { url: `${rx.origin}/x`, eventTypes: ['user.created', 'user.exploded'] },
        400,
        'validation.failed',
        'eventTypes',
      ],
      [{ url: `${rx.origin}/x`, eventTypes: [] }, 400, 'validation.failed'],
      [{ eventTypes: ['user.created'] }, 400, 'validation.failed'],
      [{ url: `${rx.origin}/x`, secret: 'mine' }, 400, 'validation.failed'],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await call(t.app, 'POST', '/iam/v1/webhooks', { token: a.adminToken, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe(code);
      if (field) expect(res.json().errors[0].field).toBe(field);
    }
    // The same checks on PATCH, and on the deliveries cursor; nothing is changed by a refused PATCH.
    const h = await hook(a.adminToken, '/checked');
    for (const [body, code] of [
      [{ url: 'ftp://127.0.0.1/x' }, 'webhooks.url_refused'],
      [{ eventTypes: ['nope'] }, 'validation.failed'],
      [{}, 'validation.failed'],
    ] as const) {
      const res = await call(t.app, 'PATCH', `/iam/v1/webhooks/${h.id}`, { token: a.adminToken, body });
      expect([res.statusCode, res.json().code], JSON.stringify(body)).toEqual([400, code]);
    }
    const same = (await call(t.app, 'GET', `/iam/v1/webhooks/${h.id}`, { token: a.adminToken })).json();
    expect(same).toMatchObject({ url: `${rx.origin}/checked`, eventTypes: null, enabled: true });
    const badCursor = await call(t.app, 'GET', `/iam/v1/webhooks/${h.id}/deliveries?cursor=abc`, {
      token: a.adminToken,
    });
    expect([badCursor.statusCode, badCursor.json().code]).toEqual([400, 'webhooks.cursor_invalid']);
    expect((await call(t.app, 'DELETE', `/iam/v1/webhooks/${h.id}`, { token: a.adminToken })).statusCode).toBe(204);
  });

  it('holds back later deliveries while one fails, retries it with backoff on the clock, keeps the order', async () => {
    const h = await hook(a.adminToken, '/flaky', { eventTypes: ['user.created'] });
    rx.answer('/flaky', 500);
    const u1 = await createUser(a, 'flaky-1');
    const u2 = await createUser(a, 'flaky-2');
    await rx.until((r) => r.some((x) => x.path === '/flaky'));
    const firstTry = await webhookOnce(a, h.id, (w) => w.nextAttemptAt !== null);
    const retryAt = Date.parse(String(firstTry.nextAttemptAt));
    const now = t.clock.now().getTime();
    expect(retryAt).toBeGreaterThan(now);
    expect(retryAt).toBeLessThanOrEqual(now + 5_000);
    // Not due yet on the app's clock: several polls pass and nothing more is sent, u2 included.
    await new Promise((r) => setTimeout(r, 400));
    expect(rx.received.filter((x) => x.path === '/flaky')).toHaveLength(1);
    const page = await deliveries(a, h.id);
    expect(page.items.map((d: { status: string }) => d.status)).toEqual(['pending', 'failed']);
    const failed = page.items[1];
    expect(failed).toMatchObject({
      attempts: 1,
      lastStatus: 500,
      lastExcerpt: 'refused with 500',
      lastError: 'HTTP 500',
    });
    expect(failed.attemptList[0]).toMatchObject({ n: 1, status: 500, excerpt: 'refused with 500' });
    expect(failed.attemptList[0].latencyMs).toBeGreaterThanOrEqual(0);

    t.clock.advance(HOUR);
    await rx.until((r) => r.filter((x) => x.path === '/flaky').length >= 2);
    await webhookOnce(a, h.id, (w) => Date.parse(String(w.nextAttemptAt)) > t.clock.now().getTime());
    rx.answer('/flaky', 200);
    t.clock.advance(HOUR);
    await rx.until(() => rx.delivered('/flaky').length >= 2);
    const sent = rx.received.filter((x) => x.path === '/flaky').map((x) => JSON.parse(x.body).data.id);
    expect(sent).toEqual([u1, u1, u1, u2]);
    const done = await deliveriesOnce(a, h.id, (items) => items.every((d) => d.status === 'succeeded'));
    expect(done.items.map((d: { status: string; attempts: number }) => [d.status, d.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 3],
    ]);
    expect(done.items[1].attemptList.map((x: { status: number }) => x.status)).toEqual([500, 500, 200]);
    const after = (await call(t.app, 'GET', `/iam/v1/webhooks/${h.id}`, { token: a.adminToken })).json();
    expect(after).toMatchObject({ enabled: true, nextAttemptAt: null, failingSince: null });

    // The deliveries API pages newest first; retry puts a copy at the end of the queue, sent again.
    const one = await deliveries(a, h.id, '?limit=1');
    expect(one.items).toHaveLength(1);
    const rest = await deliveries(a, h.id, `?limit=1&cursor=${one.nextCursor}`);
    expect(rest.items[0].id).toBe(done.items[1].id);
    expect(rest.nextCursor).toBeNull();
    const retry = await call(t.app, 'POST', `/iam/v1/webhooks/${h.id}/deliveries/${done.items[1].id}/retry`, {
      token: a.adminToken,
    });
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.json()).toMatchObject({ status: 'pending', attempts: 0, eventId: done.items[1].eventId });
    await rx.until(() => rx.delivered('/flaky').length >= 3);
    expect(rx.delivered('/flaky')[2]!.headers['webhook-id']).toBe(done.items[1].eventId);
    const missing = await call(t.app, 'POST', `/iam/v1/webhooks/${h.id}/deliveries/wdl_nope/retry`, {
      token: a.adminToken,
    });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'webhooks.delivery_not_found']);
  });

  it('disables an endpoint failing for longer than the retry period: audit entry and webhook.disabled; PATCH resumes', async () => {
    const h = await hook(a.adminToken, '/down', { eventTypes: ['user.created'] });
    rx.answer('/down', 503);
    const u = await createUser(a, 'down-1');
    await webhookOnce(a, h.id, (w) => w.nextAttemptAt !== null);
    t.clock.advance(71 * HOUR);
    await rx.until((r) => r.filter((x) => x.path === '/down').length >= 2);
    const stillOn = await webhookOnce(a, h.id, (w) => Date.parse(String(w.nextAttemptAt)) > t.clock.now().getTime());
    expect(stillOn.enabled).toBe(true);
    t.clock.advance(2 * HOUR);
    await rx.until((r) => r.filter((x) => x.path === '/down').length >= 3);
    const state = await webhookOnce(a, h.id, (w) => w.enabled === false);
    expect(state).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('72 hours') });
    const audit = (await call(t.app, 'GET', '/iam/v1/audit-events', { token: a.adminToken })).json();
    const entry = audit.items.find((e: { action: string }) => e.action === 'webhook.disabled');
    expect(entry).toMatchObject({ target: h.id, actor: 'system:webhooks' });
    const disabled = (
      await feedOnce(a, undefined, (events) => events.some((e) => e.type === 'webhook.disabled'))
    ).filter((e) => e.type === 'webhook.disabled');
    expect(disabled.map((e) => e.data.id)).toEqual([h.id]);
    expect((await feed(b)).some((e) => e.type === 'webhook.disabled')).toBe(false);

    // Nothing is sent while disabled; re-enabled, the held-back delivery goes first.
    rx.answer('/down', 204);
    t.clock.advance(2 * HOUR);
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.delivered('/down')).toHaveLength(0);
    const resumed = await call(t.app, 'PATCH', `/iam/v1/webhooks/${h.id}`, {
      token: a.adminToken,
      body: { enabled: true },
    });
    expect(resumed.json()).toMatchObject({ enabled: true, disabledAt: null, disabledReason: null });
    await rx.until(() => rx.delivered('/down').length >= 1);
    expect(JSON.parse(rx.delivered('/down')[0]!.body).data.id).toBe(u);
  });

  it('signs with both secrets for 24 hours after a rotation, then with the new one only', async () => {
    const h = await hook(a.adminToken, '/rotating', { eventTypes: ['user.created'] });
    const rotated = await call(t.app, 'POST', `/iam/v1/webhooks/${h.id}/secret`, { token: a.adminToken });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const { secret, previousSecretExpiresAt } = rotated.json();
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(h.secret);
    expect(Date.parse(previousSecretExpiresAt)).toBe(t.clock.now().getTime() + 24 * HOUR);
    secrets.get('/rotating')!.push(secret);
    await createUser(a, 'rot-1');
    await rx.until(() => rx.delivered('/rotating').length >= 1);
    const during = rx.delivered('/rotating')[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect([verifies(h.secret, during), verifies(secret, during)]).toEqual([true, true]);
    t.clock.advance(24 * HOUR + 1000);
    await createUser(a, 'rot-2');
    await rx.until(() => rx.delivered('/rotating').length >= 2);
    const later = rx.delivered('/rotating')[1]!;
    expect(String(later.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect([verifies(h.secret, later), verifies(secret, later)]).toEqual([false, true]);
  });
});

describe('webhook URLs without ROSTER_WEBHOOK_ALLOW_PRIVATE', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(STORE_KINDS[0]!);
  });
  afterAll(() => t?.dispose());

  it.each([
    'http://hooks.example.com/roster',
    'https://127.0.0.1/hook',
    'https://10.1.2.3/hook',
    'https://169.254.169.254/latest',
  ])('refuses %s', async (url) => {
    const tenant = await scimTenant(t.app, 'NoPrivate');
    const res = await call(t.app, 'POST', '/iam/v1/webhooks', { token: tenant.adminToken, body: { url } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('webhooks.url_refused');
    const patchTarget = await call(t.app, 'GET', '/iam/v1/webhooks', { token: tenant.adminToken });
    expect(patchTarget.json().items).toEqual([]);
  });
});
