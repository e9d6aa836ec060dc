// Composition root: the only module that wires config, store, core and the HTTP surfaces together.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import { bootstrapDigestOf } from './core/auth/principal.ts';
import { activateNewUsers } from './core/credentials/activation.ts';
import { endEnrolment, readEnrolment } from './core/credentials/enrolment.ts';
import { MailOutbox } from './core/credentials/mail-outbox.ts';
import { relyingPartyOf } from './core/credentials/passkeys.ts';
import { ownCredentialsAllowed } from './core/credentials/policy.ts';
import { scimDomainGate } from './core/domains/policy.ts';
import { DomainRechecker } from './core/domains/recheck.ts';
import { invalid } from './core/errors.ts';
import { pruneEvents } from './core/events/feed.ts';
import { SharedBuckets } from './core/ratelimit/shared-buckets.ts';
import { type BucketRule, type Limiter, TokenBuckets } from './core/ratelimit/token-buckets.ts';
import { purgeScimLog, ScimLogBuffer } from './core/scim/log.ts';
import type { ScimStore } from './core/scim/ports.ts';
import { IndexSeekCache } from './core/scim/search.ts';
import { purgeExpiredSetup, purgeExpiredSignIn } from './core/signin/purge-expired.ts';
import { notifyExpiringScimTokens } from './core/tokens/scim-tokens.ts';
import { pruneWebhookDeliveries } from './core/webhooks/retention.ts';
import { WebhookRunner } from './core/webhooks/worker.ts';
import { createTxtLookup } from './dns/txt-lookup.ts';
import { adminPlugin, registerOpenApi } from './http/admin/plugin.ts';
import { consolePlugin } from './http/console/plugin.ts';
import { secureCookies } from './http/cookies.ts';
import { createMetricsServer, registerMetricsRoute } from './http/metrics.ts';
import { scimPlugin } from './http/scim/plugin.ts';
import { createServer } from './http/server.ts';
import { credentialPlugin } from './http/signin/credential-plugin.ts';
import { discoveryPlugin } from './http/signin/discovery-plugin.ts';
import { providerPages } from './http/signin/pages.ts';
import { passkeyRoutes } from './http/signin/passkey-routes.ts';
import { signInPlugin } from './http/signin/plugin.ts';
import type { Clock } from './lib/clock.ts';
import type { Keyring } from './lib/keyring.ts';
import { KickableLoop } from './lib/kickable-loop.ts';
import { createSmtpMailer } from './mail/smtp.ts';
import { SignInEngine } from './oidc/engine.ts';
import { parseIdpMetadata } from './oidc/saml/metadata.ts';
import type { OpenedStore } from './store/open-store.ts';
import { PrometheusTelemetry } from './telemetry/prometheus.ts';
import { createDocumentFetcher, DocumentFetchError } from './webhooks/fetch-document.ts';
import { checkWebhookUrl, createWebhookSender } from './webhooks/outbound.ts';

export interface AppDeps {
  readonly config: Config;
  readonly store: OpenedStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly logger: Logger | false;
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store, keyring, clock } = deps;
  // Metrics (ADR 0033): one registry per app; the store's pool and webhook backlog are read when scraped.
  const telemetry = new PrometheusTelemetry({ tenantLabel: config.metrics.tenantLabel });
  telemetry.addScrapeSources({
    pool: () => store.poolStats(),
    webhookQueueDepth: (cap) => store.webhooks.queueDepth(cap),
  });
  store.onGroupCommit((size) => telemetry.groupCommit(size));
  const server = createServer({
    telemetry,
    tenantLabel: config.metrics.tenantLabel,
    logger: deps.logger,
    bodyLimit: config.limits.adminBodyBytes,
    oversizeDrain: config.limits.oversizeDrain,
    timeouts: config.timeouts,
    trustProxy: config.trustProxy,
    isStoreUnavailable: (error) => store.isUnavailable(error),
    ping: () => store.ping(),
  });
  const coreDeps = {
    store,
    keyring,
    clock,
    bootstrapDigest: config.bootstrapToken ? bootstrapDigestOf({ keyring }, config.bootstrapToken) : undefined,
    retiringKeys: new Set(config.secretKeysRetiring),
    telemetry,
  };
  const metricsRoute = {
    exposition: telemetry,
    telemetry,
    access: { auth: coreDeps, metricsToken: config.metrics.token },
  };
  const metricsPort = config.metrics.port;
  if (metricsPort === undefined) registerMetricsRoute(server, metricsRoute);
  else {
    // Its own listener (a private address for the scraper); the main port then has no /metrics.
    const metricsServer = createMetricsServer(metricsRoute);
    server.addHook('onReady', async () => {
      await metricsServer.listen({ port: metricsPort, host: config.metrics.host });
    });
    server.addHook('onClose', async () => metricsServer.close());
  }
  const scimLog = new ScimLogBuffer(store.scim, {
    intervalMs: 200,
    maxBatch: 500,
    onError: (error) =>
      server.log.warn({ err: { message: (error as Error).message } }, 'could not write the provisioning log'),
    retryable: (error) => store.isUnavailable(error),
    // Failed authentications at a tenant's SCIM URL are logged for existing tenants only (docs/scim.md).
    tenantExists: async (tenantId) => (await store.tenants.get(tenantId)) !== undefined,
    clock,
  });
  server.addHook('onClose', async () => scimLog.close());
  // Webhook delivery (ADR 0020): a dispatcher and worker loop per process, sending through the SSRF-checked sender.
  const sender = createWebhookSender(config.webhooks);
  const webhookRunner = new WebhookRunner(
    {
      webhooks: store.webhooks,
      transport: sender,
      keyring,
      clock,
      warn: (context, message) => server.log.warn(context, message),
      telemetry,
    },
    {
      pollMs: config.webhookDelivery.pollMs,
      leaseMs: config.webhookDelivery.leaseMs,
      retryHours: config.webhooks.retryHours,
      batchSize: config.webhookDelivery.batchSize,
      parallel: config.webhookDelivery.parallel,
    },
  );
  server.addHook('onReady', async () => webhookRunner.start());
  server.addHook('onClose', async () => {
    await webhookRunner.stop();
    await sender.close();
  });
  // A SCIM commit that made events asks for a round now rather than at the next poll (nothing while no endpoint).
  const scimStore: ScimStore = {
    ...store.scim,
    transaction: (work) =>
      store.scim.transaction(work).then((result) => {
        webhookRunner.afterCommit();
        activation?.kick();
        return result;
      }),
  };
  // Domain verification (ADR 0030): TXT lookups on ROSTER_DNS_SERVERS, and the daily re-check in every process.
  const lookupTxt = createTxtLookup(config.dnsServers);
  const rechecker = new DomainRechecker({ ...coreDeps, lookupTxt }, config.domainRecheckPollMs, (error) =>
    server.log.warn({ err: { message: (error as Error).message } }, 'domain re-check round failed'),
  );
  server.addHook('onReady', async () => rechecker.start());
  server.addHook('onClose', async () => rechecker.stop());
  // Roster ID mail (ADR 0040): invitation and reset links leave through the outbox, after commit, with retries.
  const mailer = config.credentials.smtpUrl
    ? createSmtpMailer(config.credentials.smtpUrl, config.credentials.smtpFrom)
    : undefined;
  const outbox = mailer
    ? new MailOutbox({ store, credentials: store.credentials, keyring, clock }, mailer, 5_000, (error) =>
        server.log.warn({ err: { message: (error as Error).message } }, 'mail outbox round failed'),
      )
    : undefined;
  if (outbox && mailer) {
    server.addHook('onReady', async () => outbox.start());
    server.addHook('onClose', async () => {
      await outbox.stop();
      mailer.close();
    });
  }
  const mailQueued = outbox ? () => outbox.kick() : undefined;
  // SCIM-alone activation (ADR 0040): new SCIM users' invitations, read from the committed feed after each SCIM commit.
  const activation =
    outbox &&
    new KickableLoop(
      async () => {
        const deps = {
          store,
          credentials: store.credentials,
          keyring,
          clock,
          publicUrl: config.publicUrl,
          feed: store.feed,
        };
        if ((await activateNewUsers(deps)) > 0) outbox.kick();
      },
      5_000,
      (error) => server.log.warn({ err: { message: (error as Error).message } }, 'SCIM-alone activation round failed'),
    );
  if (activation) {
    server.addHook('onReady', async () => activation.start());
    server.addHook('onClose', async () => activation.stop());
  }
  // SAML IdP metadata (ADR 0038): fetched under the webhooks' SSRF policy and ROSTER_WEBHOOK_ALLOW_PRIVATE.
  const documents = createDocumentFetcher({
    allowPrivate: config.webhooks.allowPrivate,
    timeoutMs: config.webhooks.timeoutMs,
    maxBytes: 256 * 1024,
    dnsServers: config.webhooks.dnsServers,
  });
  server.addHook('onClose', async () => documents.close());
  const samlMetadata = {
    fetch: (url: string) =>
      documents.fetch(url).catch((error: unknown) => {
        if (error instanceof DocumentFetchError) throw invalid('properties.metadataUrl', error.message);
        throw error;
      }),
    parse: parseIdpMetadata,
  };
  await registerOpenApi(server, config.publicUrl);
  // What the admin API and the console both act through: the console adds no rules of its own (ADR 0028).
  const surfaceDeps = {
    ...coreDeps,
    scim: store.scim,
    signin: store.signin,
    events: store.feed,
    webhooks: store.webhooks,
    checkWebhookUrl: (url: string) => checkWebhookUrl(url, config.webhooks.allowPrivate),
    directory: store.directory,
    setup: store.setup,
    scimLog,
    publicUrl: config.publicUrl,
    lookupTxt,
    credentials: store.credentials,
    mailer,
    mailQueued,
    samlMetadata,
  };
  await server.register(adminPlugin, { prefix: '/iam/v1', ...surfaceDeps });
  // The admin console (ADR 0028): the same use cases as the admin API, behind a server-side session.
  await server.register(consolePlugin, {
    prefix: '/console',
    ...surfaceDeps,
    sessions: store.consoleSessions,
    timeouts: { idleMs: config.console.idleMinutes * 60_000, absoluteMs: config.console.maxHours * 3_600_000 },
    isStoreUnavailable: (error: unknown) => store.isUnavailable(error),
  });
  // Rate limits: shared through PostgreSQL by every process (leased in batches, ADR 0012), or per process.
  const shared: SharedBuckets[] = [];
  const limiter = (scope: string, rule: BucketRule): Limiter => {
    const rateStore = store.rateLimits;
    if (config.rateLimits.scope === 'process' || !rateStore) return new TokenBuckets(rule, clock);
    let warned = 0;
    const buckets = new SharedBuckets(scope, rule, clock, rateStore, {
      maxBatch: config.rateLimits.maxBatch,
      // Fail to the process's own buckets, never to no limit; the request itself meets the database next.
      onError: (error) => {
        if (Date.now() - warned < 60_000) return;
        warned = Date.now();
        server.log.warn(
          { err: { message: (error as Error).message }, scope },
          'shared rate limit unavailable; limiting per process for now',
        );
      },
    });
    shared.push(buckets);
    return buckets;
  };
  const limits = {
    tenant: limiter('tenant', config.rateLimits.tenant),
    token: limiter('token', config.rateLimits.token),
    // Failed authentications stay per process: an unauthenticated caller must not be able to make Roster write to
    // the database (malformed tokens are refused before any store access, plan A2), and slowing guessing needs no
    // exact cluster-wide count.
    authFailures: new TokenBuckets(config.rateLimits.authFailures, clock),
  };
  const scimDeps = {
    ...coreDeps,
    limits,
    scim: scimStore,
    domainGate: scimDomainGate(store),
    scimLog,
    seekCache: new IndexSeekCache(),
    publicUrl: config.publicUrl,
    bodyLimit: config.limits.scimBodyBytes,
    isStoreUnavailable: (error: unknown) => store.isUnavailable(error),
  };
  // Seed 000's URL carries the tenant; the Tenant URL the guide gives Entra ID lets the token choose it.
  await server.register(scimPlugin, { prefix: '/:tenantId/api/scim/v2', ...scimDeps, mode: 'tenant-url' });
  await server.register(scimPlugin, { prefix: '/iam/v1/scim', ...scimDeps, mode: 'token' });

  const engine = new SignInEngine({
    store,
    signin: store.signin,
    setup: store.setup,
    keyring,
    clock,
    publicUrl: config.publicUrl,
    // oidc-provider (koa) throws on a Secure cookie for a request it sees as plain http, and it sees every request
    // as ROSTER_PUBLIC_URL's scheme: so its cookies are Secure exactly when that URL is https. Every other cookie
    // follows the one policy of src/http/cookies.ts (Secure except on plain-http loopback).
    secureCookies: config.publicUrl.startsWith('https:'),
    clockToleranceSeconds: config.oidcClockToleranceSeconds,
    pages: providerPages,
    jwksCooldownSeconds: config.oidcJwksCooldownSeconds,
    telemetry,
    credentials: store.credentials,
  });
  // Sign-in traffic is unauthenticated: its buckets stay in process memory, never a database write (ADR 0016).
  const signInLimits = {
    address: new TokenBuckets(config.signInRateLimits.address, clock),
    tenant: new TokenBuckets(config.signInRateLimits.tenant, clock),
  };
  await server.register(signInPlugin, {
    engine,
    limits: signInLimits,
    isStoreUnavailable: (error) => store.isUnavailable(error),
    secureCookies: secureCookies(config.publicUrl),
    telemetry,
    store,
    homeRealmDiscovery: config.signinInitiateLoginUri !== undefined,
  });
  // Roster ID's own credentials (ADR 0040): sign-in pages beside the OP's interaction, links, enrolment.
  await server.register(credentialPlugin, {
    engine,
    deps: { store, credentials: store.credentials, keyring, clock },
    publicUrl: config.publicUrl,
    limits: { address: signInLimits.address, account: new TokenBuckets(config.credentials.account, clock) },
    isStoreUnavailable: (error) => store.isUnavailable(error),
    mailQueued,
  });
  // Passkeys of Roster ID (ADR 0042): enrolment with an activation link's session, usernameless sign-in.
  const credentialDeps = { store, credentials: store.credentials, keyring, clock };
  await server.register(passkeyRoutes, {
    passkeys: {
      store: { audit: store.audit, ...store.passkeys },
      clock,
      rp: relyingPartyOf(config.publicUrl),
    },
    engine,
    enrolment: {
      read: (tenantId, cookie) => readEnrolment(credentialDeps, tenantId, cookie),
      end: (tenantId, cookie) => endEnrolment(credentialDeps, tenantId, cookie),
    },
    users: { get: (tenantId, id) => store.scim.users.get(tenantId, id) },
    ownCredentialsAllowed: async (tenantId, user) => (await ownCredentialsAllowed({ store }, tenantId, user)).allowed,
    limits: signInLimits,
    store,
    publicUrl: config.publicUrl,
    isStoreUnavailable: (error) => store.isUnavailable(error),
  });
  // Home-realm discovery at {ROSTER_PUBLIC_URL}/signin, when the vendor app's login-initiation URI is set (ADR 0031).
  if (config.signinInitiateLoginUri) {
    await server.register(discoveryPlugin, {
      store,
      publicUrl: config.publicUrl,
      initiateLoginUri: config.signinInitiateLoginUri,
      limits: signInLimits,
      isStoreUnavailable: (error) => store.isUnavailable(error),
    });
  }

  // Provisioning log retention, expired sign-in state and idle shared rate-limit buckets: purged every
  // ROSTER_PURGE_INTERVAL_SECONDS (and once at start), off the request path. A purge still running when the next
  // is due lets it pass: two would only contend for the same rows (ADR 0027).
  let purging: Promise<unknown> | undefined;
  // One after another, not together: each takes at most its share of the process (paced batches), and together they
  // would take the sum of their shares. One failing does not keep the others from running.
  const retentionPurges: [string, () => Promise<unknown>][] = [
    ['provisioning log', () => purgeScimLog({ scim: store.scim, clock }, config.scimLogRetentionDays)],
    ['events', () => pruneEvents({ events: store.feed, clock }, config.eventRetentionDays)],
    [
      'webhook deliveries',
      () => pruneWebhookDeliveries({ webhooks: store.webhooks, clock }, config.eventRetentionDays),
    ],
    ['sign-in state', () => purgeExpiredSignIn(store.signin.payloads, Math.floor(Date.now() / 1000))],
    ['enrolments', () => store.credentials.enrolments.purgeBefore(clock.now().toISOString())],
    // SAML assertion ids past their NotOnOrAfter (ADR 0038): a replay of those is refused by time anyway.
    ['SAML assertion ids', () => store.samlAssertions.purgeExpired(Math.floor(Date.now() / 1000))],
    // Spent or abandoned WebAuthn challenges (ADR 0042): a ceremony lives 5 minutes.
    ['passkey challenges', () => store.passkeys.challenges.purgeExpired(clock.now().toISOString(), 10_000)],
    ['setup links', () => purgeExpiredSetup(store.setup, clock.now())],
    ...shared.map((buckets): [string, () => Promise<unknown>] => ['rate-limit buckets', () => buckets.purge()]),
  ];
  const purgeAll = async () => {
    for (const [name, run] of retentionPurges) {
      try {
        await run();
      } catch (error) {
        server.log.warn({ err: { message: (error as Error).message }, purge: name }, 'retention purge failed');
      }
    }
  };
  const purge = () => {
    purging ??= purgeAll().finally(() => {
      purging = undefined;
    });
    return purging;
  };
  const timer = setInterval(purge, config.purgeIntervalSeconds * 1000);
  timer.unref();
  server.addHook('onClose', async () => clearInterval(timer));
  // SCIM tokens entering their last 30 days: one `scim_token.expiring` each, whichever process gets there first.
  // On the interval only, not at start: a notice due 30 days ahead can wait one interval, and a start stays free of
  // the extra query.
  const notice = () =>
    notifyExpiringScimTokens(coreDeps).catch((error: unknown) =>
      server.log.warn({ err: { message: (error as Error).message } }, 'SCIM token expiry notice failed'),
    );
  const noticeTimer = setInterval(notice, config.tokenNoticeIntervalSeconds * 1000);
  noticeTimer.unref();
  server.addHook('onClose', async () => clearInterval(noticeTimer));
  server.addHook('onReady', async () => {
    void purge();
  });
  return server;
}
