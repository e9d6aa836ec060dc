// The sign-in bench (issue 14 item 6): a login storm through Roster and the stand-in Entra ID, and the token endpoint
// alone, each set against the irreducible cost measured in the same run — the RS256 signatures the step must make.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { createClient } from '../src/core/signin/clients.ts';
import { updateSsoProvider } from '../src/core/sso/providers.ts';
import { systemClock } from '../src/lib/clock.ts';
import type { Keyring } from '../src/lib/keyring.ts';
import { openStore, type StoreLocation } from '../src/store/open-store.ts';
import { Browser } from '../test/support/browser.ts';
import { insertPayloadRows, type PayloadTemplate } from '../test/support/signin-rows.ts';
import { type LoadResult, runLoad } from './load.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const APP_REDIRECT = 'http://127.0.0.1:9/app/callback';
const ENTRA_APP = { id: 'entra-app-id', secret: 'entra-app-secret-value' };

export interface SigninApp {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly entra: ChildProcess;
}

/** Starts the stand-in Entra in its own process, points the tenant's Entra provider at it and registers an app. */
export async function prepareSignin(
  location: StoreLocation,
  keyring: Keyring,
  tenantId: string,
  publicUrl: string,
): Promise<SigninApp> {
  const entra = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      `${ROOT}bench/entra-process.ts`,
      `${publicUrl}/${tenantId}/signin/callback`,
      ENTRA_APP.id,
      ENTRA_APP.secret,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: entra.stdout! }).once('line', resolve);
    entra.once('exit', (code) => reject(new Error(`stand-in Entra exited (${code})`)));
  });
  const { authority } = JSON.parse(first) as { authority: string };
  const store = await openStore(location);
  try {
    const deps = { store, signin: store.signin, keyring, clock: systemClock };
    await updateSsoProvider(deps, 'bench', tenantId, 'entra', (current) => ({
      ...current,
      properties: { ...current.properties, authority, clientId: ENTRA_APP.id, clientSecret: ENTRA_APP.secret },
    }));
    const app = await createClient(deps, 'bench', tenantId, {
      client_name: 'Bench app',
      type: 'confidential',
      redirect_uris: [APP_REDIRECT],
    });
    return { clientId: app.record.clientId, clientSecret: app.secret!, entra };
  } finally {
    await store.close();
  }
}

/**
 * jose `SignJWT` RS256 (2048-bit, as Roster's keys) in this process: CPU microseconds per signature. CPU time, not
 * wall time, like Roster's CPU per operation it is set against: on a shared machine wall time mostly measures the
 * neighbours.
 */
export async function rs256SignMicros(seconds = 1): Promise<number> {
  const { privateKey } = await generateKeyPair('RS256');
  const claims = { sub: '0190d7a8-0000-7000-8000-000000000000', aud: 'app', nonce: 'n', tenant_id: 't' };
  const sign = () => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuedAt().sign(privateKey);
  for (let i = 0; i < 20; i++) await sign();
  let n = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - t0 < seconds * 1000) {
    await sign();
    n++;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

interface Person {
  readonly n: number;
  /** The cookie jar of their browser: Roster's session after the first sign-in. */
  browser: Browser;
  refreshToken?: string;
}

export interface SigninBenchOptions {
  readonly origin: string;
  readonly tenantId: string;
  readonly app: SigninApp;
  readonly location: StoreLocation;
  readonly users: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly people: number;
  readonly storedRows: number;
  readonly purgeRows: number;
  readonly wanted: (name: string) => boolean;
  /** Unmeasured refresh grants before the measured ones: the grant's own code is cold until then (`--warmup`). */
  readonly warmupGrants: number;
  /** CPU seconds so far of Roster and of the stand-in Entra. */
  readonly rosterCpu: () => number | undefined;
  readonly entraCpu: () => number | undefined;
  readonly log: (s: string) => void;
}

export interface SigninResult extends LoadResult {
  /** RS256 signatures Roster makes per operation, and the stand-in Entra's (the upstream ID token). */
  readonly rosterSignatures: number;
  readonly upstreamSignatures: number;
  readonly rosterCpuMicros: number | undefined;
  readonly entraCpuMicros: number | undefined;
  /** jose RS256 µs per signature, measured just before this workload. */
  readonly signMicros: number;
  /** Roster CPU per op over the signing cost of its signatures (the target: refresh ≤ 3). */
  readonly vsSigning: number | undefined;
  note?: string;
}

const percentile = (sorted: Float64Array, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

/** Closed loop: `concurrency` workers run `task(i)` back to back until the time is up. */
async function drive(concurrency: number, seconds: number, maxOps: number, task: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (issued < maxOps && performance.now() < deadline) {
      const i = issued++;
      const t0 = performance.now();
      try {
        await task(i);
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const run: Run = {
    ops: latencies.length,
    seconds: elapsed,
    errors,
    firstError,
    p50ms: percentile(sorted, 0.5),
    p99ms: percentile(sorted, 0.99),
  };
  return run;
}

interface Run {
  readonly ops: number;
  readonly seconds: number;
  readonly errors: number;
  readonly firstError: unknown;
  readonly p50ms: number;
  readonly p99ms: number;
}

export async function runSigninBench(o: SigninBenchOptions): Promise<{ signMicros: number; results: SigninResult[] }> {
  const issuer = new URL(`${o.origin}/${o.tenantId}`);
  const config = await oidc.discovery(issuer, o.app.clientId, o.app.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(o.app.clientId)}:${encodeURIComponent(o.app.clientSecret)}`).toString('base64')}`;
  const tokenPath = `/${o.tenantId}/oidc/token`;
  const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };

  /** The app's authorization request; `as` names who the stand-in Entra signs in when it asks. */
  const authorize = async (person: Person, scope: string, extra: Record<string, string> = {}) => {
    const checks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: APP_REDIRECT,
      scope,
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      ...extra,
    });
    const as = (u: URL) => {
      if (/\/v2\.0\/login\//.test(u.pathname)) u.searchParams.set('as', `ext-${person.n}`);
      return u;
    };
    const r = await person.browser.follow(url, (u) => u.href.startsWith(APP_REDIRECT), as);
    if (!r.stopped) throw new Error(`sign-in stopped at ${r.url.pathname} (${r.status}): ${r.body.slice(0, 200)}`);
    return { callback: r.url, checks };
  };
  /** The whole brokered sign-in of someone with no session anywhere, to the app's userinfo call. */
  const fullSignIn = async (person: Person, scope: string, extra: Record<string, string> = {}) => {
    person.browser = new Browser();
    const { callback, checks } = await authorize(person, scope, extra);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      pkceCodeVerifier: checks.codeVerifier,
    });
    const sub = tokens.claims()!.sub;
    await oidc.fetchUserInfo(config, tokens.access_token, sub);
    return tokens;
  };

  const signMicros = await rs256SignMicros(1.5);
  o.log(
    `  jose SignJWT RS256: ${signMicros.toFixed(0)} µs CPU per signature (${(1e6 / signMicros).toFixed(0)}/s on one core)`,
  );

  const results: SigninResult[] = [];
  let lastSign = signMicros;
  const record = (
    name: string,
    run: Run,
    signatures: { roster: number; upstream: number },
    cpu: Record<'roster0' | 'roster1' | 'entra0' | 'entra1', number | undefined>,
    sign: number,
    note?: string,
  ) => {
    const per = (a?: number, b?: number) =>
      a !== undefined && b !== undefined && run.ops > 0 ? ((b - a) / run.ops) * 1e6 : undefined;
    const rosterCpuMicros = per(cpu.roster0, cpu.roster1);
    const entraCpuMicros = per(cpu.entra0, cpu.entra1);
    const r: SigninResult = {
      name,
      ops: run.ops,
      seconds: run.seconds,
      opsPerSec: run.ops / run.seconds,
      p50ms: run.p50ms,
      p99ms: run.p99ms,
      errors: run.errors,
      statuses: {},
      rosterSignatures: signatures.roster,
      upstreamSignatures: signatures.upstream,
      rosterCpuMicros,
      entraCpuMicros,
      signMicros: sign,
      vsSigning: rosterCpuMicros !== undefined ? rosterCpuMicros / (signatures.roster * sign) : undefined,
      ...(note ? { note } : {}),
    };
    results.push(r);
    o.log(
      `  ${name}: ${r.opsPerSec.toFixed(1)} ops/s, p50 ${r.p50ms.toFixed(1)} ms, p99 ${r.p99ms.toFixed(1)} ms, Roster CPU ${rosterCpuMicros?.toFixed(0) ?? '?'} µs/op (${r.vsSigning?.toFixed(1) ?? '?'}× its ${signatures.roster} signature(s) of ${sign.toFixed(0)} µs), Entra CPU ${entraCpuMicros?.toFixed(0) ?? '?'} µs/op, errors ${r.errors}${run.firstError ? ` (first: ${String(run.firstError).slice(0, 200)})` : ''}`,
    );
    return r;
  };
  const measured = async (
    name: string,
    signatures: { roster: number; upstream: number },
    go: () => Promise<Run>,
    note?: string,
    signed?: number,
  ) => {
    // The signing rate right before the workload: the machine's load drifts, and the ratio should not.
    const sign = signed ?? (await rs256SignMicros(1));
    lastSign = sign;
    const roster0 = o.rosterCpu();
    const entra0 = o.entraCpu();
    const run = await go();
    return record(name, run, signatures, { roster0, roster1: o.rosterCpu(), entra0, entra1: o.entraCpu() }, sign, note);
  };

  // The people: seeded subjects 0…people-1. A first sign-in each (bound by externalId = oid), asking for
  // offline_access (with prompt=consent, as OpenID Connect requires) so each holds a refresh token and a session.
  const people: Person[] = Array.from({ length: Math.min(o.people, o.users) }, (_, n) => ({
    n,
    browser: new Browser(),
  }));
  o.log(`  first sign-in of ${people.length} people (binds each to their subject)…`);
  await measured('sign-in, first (binds the identity)', { roster: 1, upstream: 1 }, () =>
    drive(o.concurrency, 3600, people.length, async (i) => {
      const person = people[i]!;
      const tokens = await fullSignIn(person, 'openid profile email offline_access', { prompt: 'consent' });
      if (!tokens.refresh_token) throw new Error('no refresh token');
      person.refreshToken = tokens.refresh_token;
    }),
  );

  if (o.storedRows > 0) await fill(o, o.storedRows, 'live');

  if (o.wanted('signin'))
    await measured(
      'sign-in, full brokered (authorize → Entra → callback → code → userinfo)',
      { roster: 1, upstream: 1 },
      () =>
        drive(o.concurrency, o.seconds, 1_000_000, async (i) => {
          await fullSignIn(people[i % people.length]!, 'openid profile email');
        }),
    );

  const opts = {
    concurrency: o.concurrency,
    maxSeconds: o.seconds,
    maxOps: 1_000_000,
    expect: (s: number) => s === 200,
  };
  const asRun = (r: LoadResult): Run => ({
    ops: r.ops - r.errors,
    seconds: r.seconds,
    errors: r.errors,
    firstError: r.errors ? JSON.stringify(r.statuses) : undefined,
    p50ms: r.p50ms,
    p99ms: r.p99ms,
  });
  const load = (name: string, next: (i: number) => { body: string }, maxOps = opts.maxOps) =>
    runLoad(o.origin, name, (i) => ({ method: 'POST', path: tokenPath, headers: form, body: next(i).body }), {
      ...opts,
      maxOps,
    });

  if (o.wanted('token-code')) {
    // Codes from people who hold a Roster session: one authorize request each, no Entra hop. Made first, then
    // redeemed as fast as the endpoint goes (a code lives 60 s).
    const count = Math.max(o.concurrency * 20, Math.min(2000, o.seconds * 200));
    o.log(`  making ${count} authorization codes…`);
    const codes: { code: string; verifier: string }[] = [];
    await drive(o.concurrency, 40, count, async (i) => {
      const person = people[i % people.length]!;
      const { callback, checks } = await authorize(person, 'openid profile email');
      const code = callback.searchParams.get('code');
      if (code) codes.push({ code, verifier: checks.codeVerifier });
    });
    await measured('token endpoint: code exchange', { roster: 1, upstream: 0 }, async () => {
      const r = await load(
        'token-code',
        (i) => ({
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: codes[i]!.code,
            code_verifier: codes[i]!.verifier,
            redirect_uri: APP_REDIRECT,
          }).toString(),
        }),
        codes.length,
      );
      return asRun(r);
    });
  }

  const refresh = (i: number) => ({
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: people[i % people.length]!.refreshToken!,
    }).toString(),
  });
  if (o.wanted('token-refresh') && o.warmupGrants > 0) {
    const roster0 = o.rosterCpu();
    const warm = await load('token-refresh warm-up', refresh, o.warmupGrants);
    const roster1 = o.rosterCpu();
    const micros = roster0 !== undefined && roster1 !== undefined ? ((roster1 - roster0) / warm.ops) * 1e6 : undefined;
    o.log(
      `  refresh grant warm-up, not measured: ${warm.ops} grants in ${warm.seconds.toFixed(1)} s, Roster CPU ${micros?.toFixed(0) ?? '?'} µs/op, errors ${warm.errors}`,
    );
  }
  if (o.wanted('token-refresh'))
    await measured('token endpoint: refresh grant', { roster: 1, upstream: 0 }, async () => {
      return asRun(await load('token-refresh', refresh));
    });

  if (o.purgeRows > 0) {
    // The expired rows went in (one transaction) before; Roster's next purge (ROSTER_PURGE_INTERVAL_SECONDS) takes
    // them in batches. The refresh grant runs until none is left, so its p99 is the p99 under the purge.
    await fill(o, o.purgeRows, 'expired');
    const expired = await expiredCounter(o.location, o.tenantId);
    try {
      const before = await expired.count();
      o.log(`  refresh grant while Roster purges ${before} expired rows…`);
      const t0 = performance.now();
      const pollEnd = (async () => {
        // Seldom: each count walks the expiry index, CPU this process would otherwise give the load.
        while ((await expired.count()) > 0) await new Promise((r) => setTimeout(r, 2000));
        return (performance.now() - t0) / 1000;
      })();
      let purgeSeconds: number | undefined;
      void pollEnd.then((s) => {
        purgeSeconds = s;
      });
      await measured(
        `token endpoint: refresh grant during the purge of ${before} expired rows`,
        { roster: 1, upstream: 0 },
        async () => {
          const runs: LoadResult[] = [];
          // Back-to-back slices until the purge is done (at least one), so the whole purge is under load.
          do runs.push(await load('token-refresh (purge)', refresh));
          while (purgeSeconds === undefined && runs.length < 120);
          const ops = runs.reduce((a, r) => a + r.ops - r.errors, 0);
          const errors = runs.reduce((a, r) => a + r.errors, 0);
          const seconds = runs.reduce((a, r) => a + r.seconds, 0);
          // p99 over slices: the worst slice's p99 (conservative: no slice's tail is averaged away).
          const p99 = Math.max(...runs.map((r) => r.p99ms));
          const p50 = runs.map((r) => r.p50ms).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
          return { ops, seconds, errors, firstError: undefined, p50ms: p50, p99ms: p99 };
        },
        undefined,
        // The signing cost of the run before: measured now, it would share this process with the poller above.
        lastSign,
      );
      const left = await expired.count();
      results.at(-1)!.note =
        `purge of ${before} rows ${purgeSeconds !== undefined ? `done in ${purgeSeconds.toFixed(1)} s` : `not done, ${left} left`}; p99 = worst ${o.seconds} s slice`;
      o.log(`    ${results.at(-1)!.note}`);
    } finally {
      await expired.close();
    }
  }
  return { signMicros, results };
}

/**
 * Stored sign-in state at scale, inserted in one transaction beside the live rows: `rows` live or expired rows of
 * Session, Grant and RefreshToken, in equal parts, copied from the live rows of the first sign-ins
 * (so shaped exactly as the adapter writes them) with fresh ids, grants, uids and accounts.
 */
async function fill(o: SigninBenchOptions, rows: number, what: 'live' | 'expired'): Promise<void> {
  const store = await openStore(o.location);
  try {
    const templates: PayloadTemplate[] = [];
    for (const model of ['Session', 'Grant', 'RefreshToken']) {
      const row = (
        await sql<{
          payload: string | Record<string, unknown>;
        }>`select payload from oidc_payloads where tenant_id = ${o.tenantId} and model = ${model} limit 1`.execute(
          store.db,
        )
      ).rows[0];
      if (!row) throw new Error(`no ${model} row after the first sign-ins`);
      templates.push({ model, payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload });
    }
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = what === 'live' ? now + 14 * 86_400 : now - 60;
    const t0 = performance.now();
    // One transaction: expired rows appear at once, so Roster's next purge starts on the whole backlog.
    await store.db
      .transaction()
      .execute((trx) => insertPayloadRows(trx, o.tenantId, templates, Math.ceil(rows / 3), expiresAt));
    o.log(
      `  stored ${Math.ceil(rows / 3) * 3} ${what} sign-in rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (o.location.kind === 'postgres') await sql`analyze oidc_payloads`.execute(store.db);
  } finally {
    await store.close();
  }
}

async function expiredCounter(location: StoreLocation, tenantId: string) {
  const store = await openStore(location);
  return {
    count: async () =>
      Number(
        (
          await sql<{
            n: number;
          }>`select count(*) as n from oidc_payloads where tenant_id = ${tenantId} and expires_at <= ${Math.floor(Date.now() / 1000) - 30}`.execute(
            store.db,
          )
        ).rows[0]!.n,
      ),
    close: () => store.close(),
  };
}
