// GET /metrics (ADR 0033): who may scrape it, where it is served, and that its counters match the requests sent —
// SCIM operations by type and outcome, HTTP requests by route class, failed authentications, rate limits,
// sign-in refusals, webhook deliveries and backlog, the store's pool and group commits — with no tenant id in a
// label unless the operator asked for one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, OPERATOR_TOKEN, startTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/free-port.ts';
import { parseExposition, type Sample, sumOf } from '../support/prometheus.ts';
import { type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

const METRICS_TOKEN = 'metrics-token-for-the-scraper-0123456789abcdef';
const user = (userName: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  active: true,
});

describe.each(STORE_KINDS)('metrics on the main port on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind, { ROSTER_METRICS_TOKEN: METRICS_TOKEN });
    a = await scimTenant(t.app, 'A');
  });
  afterAll(() => t?.dispose());

  async function scrape(): Promise<Sample[]> {
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    return parseExposition(res.body);
  }

  it('answers only the operator token and the metrics token', async () => {
    const get = (authorization?: string) =>
      t.app.inject({ url: '/metrics', headers: authorization ? { authorization } : {} });
    const none = await get();
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.json().code).toBe('auth.missing');
    expect((await get(`Bearer ${METRICS_TOKEN}x`)).json().code).toBe('auth.invalid');
    expect((await get(`Bearer ${a.scimToken}`)).statusCode).toBe(401);
    const admin = await get(`Bearer ${a.adminToken}`);
    expect([admin.statusCode, admin.json().code]).toEqual([403, 'auth.wrong_kind']);
    for (const token of [OPERATOR_TOKEN, METRICS_TOKEN]) {
      const ok = await get(`Bearer ${token}`);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(ok.body).toContain('# TYPE roster_http_requests_total counter');
      expect(ok.body).toContain('process_cpu_user_seconds_total');
    }
    const samples = await scrape();
    expect(sumOf(samples, 'roster_auth_failures_total', { surface: 'metrics', reason: 'missing' })).toBe(1);
    expect(sumOf(samples, 'roster_auth_failures_total', { surface: 'metrics', reason: 'invalid' })).toBe(2);
    expect(sumOf(samples, 'roster_auth_failures_total', { surface: 'metrics', reason: 'wrong_kind' })).toBe(1);
  });

  it('counts a SCIM run exactly: operations by type and outcome, requests by route class, failed authentications', async () => {
    const before = await scrape();
    const created: string[] = [];
    for (const name of ['ada', 'grace', 'edsger']) {
      const res = await scim(t.app, a, 'POST', `${a.base}/Users`, user(`${name}@contoso.com`));
      expect(res.statusCode).toBe(201);
      created.push(res.json().id);
    }
    expect((await scim(t.app, a, 'POST', `${a.base}/Users`, user('ada@contoso.com'))).statusCode).toBe(409);
    for (const id of created.slice(0, 2))
      expect((await scim(t.app, a, 'GET', `${a.base}/Users/${id}`)).statusCode).toBe(200);
    expect((await scim(t.app, a, 'GET', `${a.base}/Users/00000000-0000-4000-8000-000000000000`)).statusCode).toBe(404);
    const filter = encodeURIComponent('userName eq "grace@contoso.com"');
    expect((await scim(t.app, a, 'GET', `${a.base}/Users?filter=${filter}`)).statusCode).toBe(200);
    const patch = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    };
    expect((await scim(t.app, a, 'PATCH', `${a.base}/Users/${created[0]}`, patch)).statusCode).toBe(200);
    expect((await scim(t.app, a, 'PUT', `${a.base}/Users/${created[1]}`, user('grace@contoso.com'))).statusCode).toBe(
      200,
    );
    expect((await scim(t.app, a, 'DELETE', `${a.base}/Users/${created[2]}`)).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `${a.base}/Users` })).statusCode).toBe(401);
    const bad = { authorization: `Bearer ${a.scimToken}x` };
    expect((await t.app.inject({ method: 'GET', url: `${a.base}/Users`, headers: bad })).statusCode).toBe(401);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    const op = (operation: string, outcome: string) =>
      delta('roster_scim_operations_total', { operation, resource_type: 'User', outcome });
    expect(op('create', 'success')).toBe(3);
    expect(op('create', 'uniqueness')).toBe(1);
    expect(op('get', 'success')).toBe(2);
    expect(op('get', '4xx')).toBe(1);
    expect(op('search', 'success')).toBe(1);
    expect(op('patch', 'success')).toBe(1);
    expect(op('replace', 'success')).toBe(1);
    expect(op('delete', 'success')).toBe(1);
    expect(delta('roster_scim_operations_total', {})).toBe(11);

    const http = (method: string, status_class: string) =>
      delta('roster_http_requests_total', { route_class: 'scim', method, status_class });
    expect(http('POST', '2xx')).toBe(3);
    expect(http('POST', '4xx')).toBe(1);
    expect(http('GET', '2xx')).toBe(3);
    expect(http('GET', '4xx')).toBe(3);
    expect(http('PATCH', '2xx') + http('PUT', '2xx') + http('DELETE', '2xx')).toBe(3);
    expect(delta('roster_http_requests_total', { route_class: 'scim' })).toBe(13);
    // The latency histogram counts the same requests.
    expect(delta('roster_http_request_duration_seconds_count', { route_class: 'scim' })).toBe(13);
    expect(delta('roster_http_request_duration_seconds_bucket', { route_class: 'scim', le: '+Inf' })).toBe(13);
    // The scrape before this one is counted under its own class.
    expect(delta('roster_http_requests_total', { route_class: 'metrics', status_class: '2xx' })).toBe(1);

    expect(delta('roster_auth_failures_total', { surface: 'scim', reason: 'missing' })).toBe(1);
    expect(delta('roster_auth_failures_total', { surface: 'scim', reason: 'invalid' })).toBe(1);

    if (kind === 'sqlite') {
      // Every SCIM write went through a group commit (the provisioning log's batches may share or add commits).
      expect(delta('roster_store_group_commit_size_sum', {})).toBeGreaterThanOrEqual(6);
      expect(sumOf(after, 'roster_store_pool_connections')).toBe(0);
    } else {
      expect(sumOf(after, 'roster_store_group_commit_size_count')).toBe(0);
      expect(sumOf(after, 'roster_store_pool_connections', { state: 'max' })).toBe(10);
      expect(sumOf(after, 'roster_store_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
      expect(after.some((s) => s.name === 'roster_store_pool_connections' && s.labels.state === 'waiting')).toBe(true);
    }
  });

  it('labels no series with a tenant id, and counts admin API failures and sign-in refusals', async () => {
    const before = await scrape();
    expect((await call(t.app, 'GET', '/iam/v1/scim', { token: `${a.adminToken}x` })).statusCode).toBe(401);
    expect((await call(t.app, 'GET', '/iam/v1/tenants', { token: a.adminToken })).statusCode).toBe(403);
    // A callback whose state matches no login is refused and audited (state_mismatch).
    const callback = await t.app.inject({ url: `/${a.tenantId}/signin/callback?state=forged-state&code=forged-code` });
    expect(callback.statusCode).toBe(400);
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(res.body).not.toContain(a.tenantId);
    expect(res.body).not.toContain('forged');
    const after = parseExposition(res.body);
    expect(after.every((s) => !('tenant' in s.labels))).toBe(true);
    const delta = (name: string, labels: Record<string, string>) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    expect(delta('roster_auth_failures_total', { surface: 'admin', reason: 'invalid' })).toBe(1);
    expect(delta('roster_auth_failures_total', { surface: 'admin', reason: 'wrong_kind' })).toBe(1);
    expect(delta('roster_signins_total', { outcome: 'refused', reason: 'state_mismatch' })).toBe(1);
    expect(delta('roster_http_requests_total', { route_class: 'signin', status_class: '4xx' })).toBe(1);
    expect(delta('roster_http_requests_total', { route_class: 'admin', status_class: '4xx' })).toBe(2);
  });
});

describe.each(STORE_KINDS)('metrics on a port of their own, with the tenant label, on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let rx: Receiver;
  let origin: string;
  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    rx = await startReceiver();
    t = await startTestApp(kind, {
      ROSTER_METRICS_PORT: String(port),
      ROSTER_METRICS_TENANT_LABEL: 'true',
      ROSTER_AUTH_FAILURE_BURST: '2',
      ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
      ROSTER_WEBHOOK_POLL_MS: '50',
    });
    a = await scimTenant(t.app, 'A');
  });
  afterAll(async () => {
    await t?.dispose();
    await rx?.close();
  });

  const scrape = async (authorization = `Bearer ${OPERATOR_TOKEN}`) => {
    const res = await fetch(`${origin}/metrics`, { headers: { authorization } });
    expect(res.status).toBe(200);
    return parseExposition(await res.text());
  };

  it('serves /metrics there only, still for the operator token', async () => {
    expect(
      (await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).statusCode,
    ).toBe(404);
    const anonymous = await fetch(`${origin}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${a.adminToken}` } })).status).toBe(
      403,
    );
    expect((await fetch(`${origin}/other`)).status).toBe(404);
    expect((await scrape()).length).toBeGreaterThan(0);
  });

  it("labels requests with the caller's tenant when asked to, and counts rate-limited guesses", async () => {
    expect((await scim(t.app, a, 'GET', `${a.base}/Users`)).statusCode).toBe(200);
    const guess = { authorization: 'Bearer scim_guess.guess' };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await t.app.inject({ url: `${a.base}/Users`, headers: guess })).statusCode);
    }
    expect(statuses).toEqual([401, 401, 429]);
    const samples = await scrape();
    expect(
      sumOf(samples, 'roster_http_requests_total', {
        route_class: 'scim',
        method: 'GET',
        status_class: '2xx',
        tenant: a.tenantId,
      }),
    ).toBe(1);
    // Unauthenticated requests carry no tenant: a URL's tenant id is anyone's to make up.
    expect(sumOf(samples, 'roster_http_requests_total', { route_class: 'scim', status_class: '4xx', tenant: '' })).toBe(
      3,
    );
    expect(sumOf(samples, 'roster_rate_limited_total', { scope: 'auth_failures' })).toBe(1);
  });

  it('shows webhook delivery failures and the backlog they leave', async () => {
    rx.answer('/hook', 500);
    const hook = await call(t.app, 'POST', '/iam/v1/webhooks', {
      token: a.adminToken,
      body: { url: `${rx.origin}/hook` },
    });
    expect(hook.statusCode).toBe(201);
    for (const name of ['one', 'two']) {
      expect((await scim(t.app, a, 'POST', `${a.base}/Users`, user(`${name}@contoso.com`))).statusCode).toBe(201);
    }
    await rx.until((received) => received.length >= 1);
    // The receiver answered 500: the first delivery waits for its retry (the test clock stands still), the second
    // behind it, so both stay queued. On PostgreSQL the second event reaches the queue only once the fan-out's next
    // round sees it (ADR 0018), so wait for both facts.
    let samples: Sample[] = [];
    for (let i = 0; i < 200; i++) {
      samples = await scrape();
      if (
        sumOf(samples, 'roster_webhook_deliveries_total', { outcome: 'http_5xx' }) >= 1 &&
        sumOf(samples, 'roster_webhook_queue_depth') >= 2
      )
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sumOf(samples, 'roster_webhook_deliveries_total', { outcome: 'http_5xx' })).toBe(1);
    expect(sumOf(samples, 'roster_webhook_deliveries_total', { outcome: 'success' })).toBe(0);
    expect(sumOf(samples, 'roster_webhook_delivery_duration_seconds_count', { outcome: 'http_5xx' })).toBe(1);
    expect(sumOf(samples, 'roster_webhook_queue_depth')).toBe(2);
  });
});
