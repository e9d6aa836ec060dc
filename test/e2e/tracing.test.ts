// OpenTelemetry tracing (ADR 0034): with the SDK started (an in-memory exporter in place of OTLP), a SCIM run and a
// sign-in through the stand-in Entra ID make server spans whose children are the store's queries and the calls to
// the IdP — and no span attribute, event or name holds a token, secret, code, cookie or query value of the run.
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../src/telemetry/tracing.ts';
import { OPERATOR_TOKEN } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { entraUser, patch, scim } from '../support/scim.ts';
import { beginAppSignIn, completeAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

// Started before any store or server is built: they add their spans only when tracing is on.
const exporter = new InMemorySpanExporter();
const stopTracing = startTracing({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
afterAll(() => stopTracing());

/** A browser that remembers every URL it fetched and cookie value it was given, to look for them in spans. */
class RecordingBrowser extends Browser {
  readonly cookieValues: string[] = [];
  readonly visited: URL[] = [];
  override async get(url: URL | string): Promise<Response> {
    this.visited.push(new URL(url));
    const res = await super.get(url);
    for (const line of res.headers.getSetCookie()) {
      const value = line.split(';')[0]?.split('=').slice(1).join('=') ?? '';
      if (value.length >= 8) this.cookieValues.push(value);
    }
    return res;
  }
}

/** Everything a span says, as text: name, attributes, events and their attributes, links, status. */
function spanText(span: ReadableSpan): string {
  return JSON.stringify([span.name, span.attributes, span.events, span.links, span.status]);
}

/**
 * Roster's spans: its own (server, store) and those made under them (its calls to the IdP). The test's own client
 * calls (the browser, the app's openid-client) run in this process too, and carry the URLs they fetched.
 */
function rosterSpans(spans: readonly ReadableSpan[]): ReadableSpan[] {
  const ids = new Set(spans.filter((s) => s.instrumentationScope.name === 'roster').map((s) => s.spanContext().spanId));
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of spans) {
      const parent = s.parentSpanContext?.spanId;
      if (parent !== undefined && ids.has(parent) && !ids.has(s.spanContext().spanId)) {
        ids.add(s.spanContext().spanId);
        grew = true;
      }
    }
  }
  return spans.filter((s) => ids.has(s.spanContext().spanId));
}

const db = (kind: string) => (kind === 'sqlite' ? 'sqlite' : 'postgresql');
const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
function serverSpan(spans: readonly ReadableSpan[], name: string, status: number): ReadableSpan {
  const found = spans.filter(
    (s) => s.kind === SpanKind.SERVER && s.name === name && s.attributes['http.response.status_code'] === status,
  );
  expect(
    found.map((s) => s.name),
    spans.map((s) => `${s.kind} ${s.name}`).join('\n'),
  ).toEqual([name]);
  return found[0]!;
}

describe.each(STORE_KINDS)('tracing on %s', (kind) => {
  let rig: SignInRig;
  /** Values that must appear in no span. */
  const secrets: string[] = [];
  beforeAll(async () => {
    rig = await startSignInRig(kind);
    secrets.push(
      OPERATOR_TOKEN,
      rig.t.secretKey.split(':')[1]!,
      rig.tenant.scimToken,
      rig.tenant.scimToken.split('.')[1]!,
      rig.tenant.adminToken,
      rig.app.clientSecret,
      'entra-app-secret-value',
    );
  });
  afterAll(() => rig?.dispose());

  it('a SCIM request is a server span over its queries, named by route template, with no filter value', async () => {
    exporter.reset();
    const { base } = rig.tenant;
    const created = await scim(rig.t.app, rig.tenant, 'POST', `${base}/Users`, entraUser('trace@contoso.com', 'ext-1'));
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const filterValue = 'secret-filter-value@contoso.com';
    secrets.push(filterValue);
    const filter = encodeURIComponent(`userName eq "${filterValue}"`);
    expect((await scim(rig.t.app, rig.tenant, 'GET', `${base}/Users?filter=${filter}`)).statusCode).toBe(200);
    const replaced = await scim(
      rig.t.app,
      rig.tenant,
      'PATCH',
      `${base}/Users/${id}`,
      patch({ op: 'replace', path: 'active', value: false }),
    );
    expect(replaced.statusCode).toBe(200);
    const spans = rosterSpans(exporter.getFinishedSpans());

    const post = serverSpan(spans, 'POST /:tenantId/api/scim/v2/Users', 201);
    expect(post.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/:tenantId/api/scim/v2/Users',
      'http.response.status_code': 201,
    });
    const queries = childrenOf(spans, post);
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      expect(q.kind).toBe(SpanKind.CLIENT);
      expect(q.attributes['db.system.name']).toBe(db(kind));
      expect(q.spanContext().traceId).toBe(post.spanContext().traceId);
    }
    // The insert of the user itself, as SQL with placeholders.
    const insert = queries.find((q) => /insert into "?scim_users"?/i.test(String(q.attributes['db.query.text'])));
    expect(insert, queries.map((q) => q.attributes['db.query.text']).join('\n')).toBeDefined();
    expect(String(insert!.attributes['db.query.text'])).not.toContain('trace@contoso.com');

    const search = serverSpan(spans, 'GET /:tenantId/api/scim/v2/Users', 200);
    expect(childrenOf(spans, search).some((q) => q.attributes['db.operation.name'] === 'select')).toBe(true);
    serverSpan(spans, 'PATCH /:tenantId/api/scim/v2/Users/:id', 200);
    for (const span of spans) {
      const text = spanText(span);
      for (const secret of secrets) expect(text, span.name).not.toContain(secret);
      expect(text).not.toContain('filter=');
    }
  });

  it('a sign-in is server spans over queries and the calls to the IdP, holding no code, token or cookie', async () => {
    exporter.reset();
    const oid = randomUUID();
    const user = await scim(
      rig.t.app,
      rig.tenant,
      'POST',
      `${rig.tenant.base}/Users`,
      entraUser('adele@contoso.com', oid),
    );
    expect(user.statusCode).toBe(201);
    rig.entra.signInAs({ oid, upn: 'adele@contoso.com', name: 'Adele Vance' });
    const browser = new RecordingBrowser();
    const sign = await beginAppSignIn(rig, {}, browser);
    const { tokens, callback } = await completeAppSignIn(sign, rig);
    expect(callback.searchParams.get('code')).toBeTruthy();
    const spans = rosterSpans(exporter.getFinishedSpans());

    // The return from the IdP: its code is redeemed at the IdP's token endpoint, a child of the request's span.
    const back = serverSpan(spans, 'GET /:tenantId/signin/:uid/return', 303);
    const children = childrenOf(spans, back);
    const calls = children.filter((s) => s.attributes['url.full'] !== undefined);
    expect(calls.map((s) => [s.kind, s.name, new URL(String(s.attributes['url.full'])).pathname])).toEqual([
      [SpanKind.CLIENT, 'POST', `/${rig.entra.tid}/v2.0/oauth2/v2.0/token`],
      [SpanKind.CLIENT, 'GET', `/${rig.entra.tid}/v2.0/discovery/v2.0/keys`],
    ]);
    expect(children.some((s) => s.attributes['db.system.name'] === db(kind))).toBe(true);

    // Everything secret that crossed the wire in this flow: codes, states, nonces and PKCE verifiers in the
    // redirect URLs, the tokens, the cookies.
    const seen: string[] = [...secrets, ...browser.cookieValues, tokens.access_token, tokens.id_token!];
    seen.push(...Object.values(sign.checks), callback.searchParams.get('code')!, callback.searchParams.get('state')!);
    for (const hop of [sign.authorizationUrl, ...(rig.entra.lastAuthorization ? [rig.entra.lastAuthorization] : [])]) {
      const params = hop instanceof URL ? hop.searchParams : hop;
      for (const [name, value] of params) if (['state', 'nonce', 'code_challenge'].includes(name)) seen.push(value);
    }
    const upstreamCodes = browser.visited
      .flatMap((url) => [...url.searchParams.entries()])
      .filter(([name]) => ['code', 'state'].includes(name))
      .map(([, value]) => value);
    expect(upstreamCodes.length).toBeGreaterThanOrEqual(2);
    seen.push(...upstreamCodes);
    expect(browser.cookieValues.length).toBeGreaterThan(0);
    for (const span of spans) {
      const text = spanText(span);
      for (const value of seen.filter((v) => v.length >= 8)) expect(text, span.name).not.toContain(value);
    }
  });
});
