// Environment → validated, frozen Config. Every default lives here, and docs/configuration.md mirrors this file.
import { isIP } from 'node:net';

export type StoreKind = 'sqlite' | 'postgres';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Absolute base URL used for SCIM meta.location and OIDC issuers, without a trailing slash. */
  readonly publicUrl: string;
  readonly database:
    | { readonly kind: 'sqlite'; readonly path: string }
    | { readonly kind: 'postgres'; readonly url: string };
  readonly bootstrapToken: string | undefined;
  /** ROSTER_SECRET_KEY text, or undefined when embedded mode should generate/load one from the data directory. */
  readonly secretKey: string | undefined;
  /** Key ids (of ROSTER_SECRET_KEY, not the active one) being retired: token digests move off them when used. */
  readonly secretKeysRetiring: readonly string[];
  readonly logLevel: string;
  /**
   * Fastify's trustProxy: the peers whose X-Forwarded-For / -Proto / -Host are believed (a hop count, or addresses
   * and CIDR ranges), so request.ip is the client's and per-address limits are per client. False: none.
   */
  readonly trustProxy: false | number | readonly string[];
  readonly limits: {
    readonly adminBodyBytes: number;
    readonly scimBodyBytes: number;
    /**
     * After a 413 sent before the body arrived in full, the rest is read and discarded up to these bounds before the
     * socket closes, so clients that write the whole body before reading (Node, .NET, Java) see the 413 and not a
     * reset. Past either bound the socket is closed anyway: an endless body cannot hold it.
     */
    readonly oversizeDrain: { readonly bytes: number; readonly ms: number };
  };
  readonly shutdownGraceMs: number;
  /** PostgreSQL statement_timeout and lock_timeout per session: past it a query fails and the request answers 503. */
  readonly dbStatementTimeoutMs: number;
  /** Leeway for exp/nbf/iat of upstream ID tokens, for clocks that disagree with the identity provider's. */
  readonly oidcClockToleranceSeconds: number;
  /** Slow clients: the whole request, and its headers, must arrive within these (408 and the socket closed). */
  readonly timeouts: { readonly requestMs: number; readonly headersMs: number };
  readonly scimLogRetentionDays: number;
  /** How often retention purges run (log, events, expired sign-in state, idle buckets); one also runs at start. */
  readonly purgeIntervalSeconds: number;
  /** How long events stay in the feed; a cursor older than this answers 410 (docs/events.md). */
  readonly eventRetentionDays: number;
  /** Console sessions (ADR 0028): ended after this much idle time, and at this age whatever the use. */
  readonly console: { readonly idleMinutes: number; readonly maxHours: number };
  /** How often each process looks for SCIM tokens entering their last 30 days (`scim_token.expiring`). */
  readonly tokenNoticeIntervalSeconds: number;
  /** The webhook delivery loop of each process (src/core/webhooks/worker.ts, ADR 0020). */
  readonly webhookDelivery: {
    /** How often it looks for new events and due endpoints; a local SCIM commit also starts a round. */
    readonly pollMs: number;
    /** How long an endpoint a process claimed stays its without renewal (renewed while it sends). */
    readonly leaseMs: number;
    /** Deliveries read and recorded per transaction. */
    readonly batchSize: number;
    /** Endpoints one process sends to at once (each endpoint's own queue is sent in order, one at a time). */
    readonly parallel: number;
  };
  /** SCIM request rates (per second, with a burst). */
  readonly rateLimits: {
    /**
     * `cluster`: one bucket per key shared by every process on the PostgreSQL database, leased in batches of at
     * most `maxBatch` permits (ADR 0012). `process`: each process counts alone (the only choice on SQLite).
     */
    readonly scope: 'cluster' | 'process';
    readonly maxBatch: number;
    readonly tenant: { readonly rate: number; readonly burst: number };
    readonly token: { readonly rate: number; readonly burst: number };
    /** Failed authentications per client address, so token guessing is slowed without touching valid traffic. */
    readonly authFailures: { readonly rate: number; readonly burst: number };
  };
  /**
   * Sign-in pages and the OpenID Provider's endpoints (per second, with a burst): per client address, then per
   * tenant. Always per process: the traffic is unauthenticated (ADR 0016).
   */
  /** Outbound webhook deliveries (src/webhooks/outbound.ts, ADR 0019). */
  readonly webhooks: {
    /** Admits loopback, private and other reserved targets and plain http:// URLs: tests and local development only. */
    readonly allowPrivate: boolean;
    readonly timeoutMs: number;
    /** The most of a receiver's answer that is read and kept. */
    readonly maxResponseBytes: number;
    /** `host[:port]` DNS servers to resolve webhook hosts with; absent: the system's (resolv.conf). Optional, so
     * this object is an OutboundPolicy as it stands under exactOptionalPropertyTypes. */
    readonly dnsServers?: readonly string[];
    /** How long a failing delivery is retried before it is given up. */
    readonly retryHours: number;
  };
  /** `host[:port]` DNS servers for domain verification lookups (ROSTER_DNS_SERVERS); absent: the system's. */
  readonly dnsServers?: readonly string[];
  /** How often each process looks for verified domains due for their daily re-check (docs/domains.md). */
  readonly domainRecheckPollMs: number;
  /**
   * Home-realm discovery (ADR 0031): the vendor app's login-initiation URI (OpenID Connect Core §4), where
   * `{ROSTER_PUBLIC_URL}/signin` sends a person with `iss`, `login_hint` and `idp_hint`. Absent: /signin is off.
   */
  readonly signinInitiateLoginUri: string | undefined;
  readonly signInRateLimits: {
    readonly address: { readonly rate: number; readonly burst: number };
    readonly tenant: { readonly rate: number; readonly burst: number };
  };
  /** Prometheus metrics at GET /metrics (ADR 0033). */
  readonly metrics: {
    /** ROSTER_METRICS_TOKEN: a bearer token a scraper may present instead of an operator token. */
    readonly token: string | undefined;
    /** Its own listener (then not on the main port); undefined: served on the main port. */
    readonly port: number | undefined;
    readonly host: string;
    /** Adds a `tenant` label to the HTTP metrics: one series per tenant, so off by default. */
    readonly tenantLabel: boolean;
  };
  /** Roster ID's own credentials (ADR 0040): mail for invitations and resets, and the per-account bucket. */
  readonly credentials: {
    /** ROSTER_SMTP_URL (smtp:// or smtps://, nodemailer's form); undefined: invitations are refused. */
    readonly smtpUrl: string | undefined;
    /** ROSTER_SMTP_FROM: the From address of the mails. */
    readonly smtpFrom: string;
    /** Attempts per account (tenant + address) on sign-in, TOTP and reset: a burst, then per hour. */
    readonly account: { readonly rate: number; readonly burst: number };
  };
}

export const defaults = {
  PORT: 8080,
  HOST: '127.0.0.1',
  DATABASE_URL: 'sqlite:./data/roster.db',
  LOG_LEVEL: 'info',
  ADMIN_BODY_BYTES: 64 * 1024,
  SCIM_BODY_BYTES: 1024 * 1024,
  // Enough for a client to finish a 10 MiB body on loopback or a fast link; a socket is held at most this long.
  OVERSIZE_DRAIN_BYTES: 16 * 1024 * 1024,
  OVERSIZE_DRAIN_MS: 5_000,
  SHUTDOWN_GRACE_MS: 10_000,
  DB_STATEMENT_TIMEOUT_MS: 10_000,
  OIDC_CLOCK_TOLERANCE_SECONDS: 30,
  REQUEST_TIMEOUT_MS: 30_000,
  HEADERS_TIMEOUT_MS: 10_000,
  SCIM_LOG_RETENTION_DAYS: 30,
  PURGE_INTERVAL_SECONDS: 3600,
  EVENT_RETENTION_DAYS: 30,
  TOKEN_NOTICE_INTERVAL_SECONDS: 3600,
  WEBHOOK_POLL_MS: 500,
  WEBHOOK_LEASE_MS: 30_000,
  WEBHOOK_BATCH: 100,
  WEBHOOK_PARALLEL: 8,
  // Entra ID needs 25 requests/s per tenant sustained (gallery apps); these leave 20× headroom for imports and
  // still cap a runaway client. Raise them for bulk migrations; the bench raises them to measure raw throughput.
  SCIM_RATE_TENANT: 500,
  SCIM_BURST_TENANT: 1000,
  SCIM_RATE_TOKEN: 500,
  SCIM_BURST_TOKEN: 1000,
  AUTH_FAILURE_RATE: 2,
  AUTH_FAILURE_BURST: 30,
  RATE_LIMIT_MAX_BATCH: 100,
  // A sign-in is about 8 requests from the browser and 2 from the app's server. Per address: 2–3 sign-ins/s
  // sustained from one office NAT or one app server, 25 at once. Per tenant: 10 sign-ins/s (36,000 an hour).
  WEBHOOK_TIMEOUT_MS: 10_000,
  WEBHOOK_RESPONSE_BYTES: 4096,
  WEBHOOK_RETRY_HOURS: 72,
  DOMAIN_RECHECK_POLL_MS: 600_000,
  SIGNIN_RATE_ADDRESS: 20,
  SIGNIN_BURST_ADDRESS: 200,
  SIGNIN_RATE_TENANT: 100,
  SIGNIN_BURST_TENANT: 1000,
  METRICS_HOST: '127.0.0.1',
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

export function parseDatabase(url: string): Config['database'] {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new ConfigError('DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/roster.db');
    return { kind: 'sqlite', path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  throw new ConfigError('DATABASE_URL must start with sqlite: or postgres://');
}

function rateLimitScope(raw: string | undefined, databaseUrl: string): 'cluster' | 'process' {
  const postgres = !databaseUrl.startsWith('sqlite:');
  if (raw === undefined || raw === '') return postgres ? 'cluster' : 'process';
  if (raw !== 'cluster' && raw !== 'process')
    throw new ConfigError('ROSTER_RATE_LIMIT_SCOPE must be cluster or process');
  if (raw === 'cluster' && !postgres)
    throw new ConfigError('ROSTER_RATE_LIMIT_SCOPE=cluster needs PostgreSQL (SQLite serves one process)');
  return raw;
}

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(raw: string | undefined): Config['trustProxy'] {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (/^[0-9]+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > 10) throw new ConfigError('ROSTER_TRUST_PROXY as a hop count must be between 1 and 10');
    return hops;
  }
  if (value === 'true') {
    throw new ConfigError(
      'ROSTER_TRUST_PROXY=true would let any client choose its own address; name the proxy addresses (CIDR ranges) or a hop count',
    );
  }
  const entries = value.split(',').map((e) => e.trim());
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.split('/');
    const max = isIP(address) === 4 ? 32 : 128;
    const ok =
      PROXY_PRESETS.has(entry) ||
      (isIP(address) !== 0 &&
        rest.length === 0 &&
        (bits === undefined || (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= max)));
    if (!ok) {
      throw new ConfigError(
        `ROSTER_TRUST_PROXY: "${entry}" is not an IP address, a CIDR range, loopback, linklocal or uniquelocal`,
      );
    }
  }
  return entries;
}

function parseBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} must be true or false`);
  return raw === 'true';
}

/** `ip`, `ip:port` or `[ipv6]:port`, the forms the DNS resolver's setServers accepts. */
function dnsServers(raw: string | undefined, name = 'ROSTER_WEBHOOK_DNS_SERVERS'): { dnsServers?: readonly string[] } {
  const entries = (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return {};
  for (const entry of entries) {
    const match = /^\[([^\]]+)\](?::([0-9]{1,5}))?$/.exec(entry) ?? /^([^:]+)(?::([0-9]{1,5}))?$/.exec(entry);
    const address = match?.[1] ?? entry;
    const port = match?.[2] === undefined ? 53 : Number(match[2]);
    if (isIP(address) === 0 || port < 1 || port > 65535) {
      throw new ConfigError(`${name}: "${entry}" is not an IP address with an optional port`);
    }
  }
  return { dnsServers: entries };
}

function parsePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('ROSTER_PUBLIC_URL must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('ROSTER_PUBLIC_URL must be http(s)');
  if (url.search || url.hash) throw new ConfigError('ROSTER_PUBLIC_URL must not have a query or fragment');
  return url.toString().replace(/\/+$/, '');
}

function parseInitiateLoginUri(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError('ROSTER_SIGNIN_INITIATE_LOGIN_URI must be an absolute URL');
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('ROSTER_SIGNIN_INITIATE_LOGIN_URI must be https (http only on loopback)');
  }
  if (url.hash) throw new ConfigError('ROSTER_SIGNIN_INITIATE_LOGIN_URI must not have a fragment');
  return url.href;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = integer(env, 'PORT', defaults.PORT, 0, 65535);
  const host = env.HOST || defaults.HOST;
  const hostForUrl = isIP(host) === 6 ? `[${host}]` : host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = parsePublicUrl(env.ROSTER_PUBLIC_URL || `http://${hostForUrl}:${port}`);
  const config: Config = {
    port,
    host,
    publicUrl,
    database: parseDatabase(env.DATABASE_URL || defaults.DATABASE_URL),
    bootstrapToken: env.ROSTER_BOOTSTRAP_TOKEN || undefined,
    secretKey: env.ROSTER_SECRET_KEY || undefined,
    secretKeysRetiring: (env.ROSTER_SECRET_KEY_RETIRING ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    logLevel: env.LOG_LEVEL || defaults.LOG_LEVEL,
    trustProxy: parseTrustProxy(env.ROSTER_TRUST_PROXY),
    limits: {
      adminBodyBytes: integer(env, 'ROSTER_ADMIN_BODY_BYTES', defaults.ADMIN_BODY_BYTES, 1024, 16 * 1024 * 1024),
      scimBodyBytes: integer(env, 'ROSTER_SCIM_BODY_BYTES', defaults.SCIM_BODY_BYTES, 1024, 64 * 1024 * 1024),
      oversizeDrain: {
        bytes: integer(env, 'ROSTER_OVERSIZE_DRAIN_BYTES', defaults.OVERSIZE_DRAIN_BYTES, 0, 1024 * 1024 * 1024),
        ms: integer(env, 'ROSTER_OVERSIZE_DRAIN_MS', defaults.OVERSIZE_DRAIN_MS, 0, 600_000),
      },
    },
    shutdownGraceMs: integer(env, 'ROSTER_SHUTDOWN_GRACE_MS', defaults.SHUTDOWN_GRACE_MS, 0, 600_000),
    dbStatementTimeoutMs: integer(env, 'ROSTER_DB_STATEMENT_TIMEOUT_MS', defaults.DB_STATEMENT_TIMEOUT_MS, 50, 600_000),
    oidcClockToleranceSeconds: integer(
      env,
      'ROSTER_OIDC_CLOCK_TOLERANCE_SECONDS',
      defaults.OIDC_CLOCK_TOLERANCE_SECONDS,
      0,
      600,
    ),
    timeouts: {
      requestMs: integer(env, 'ROSTER_REQUEST_TIMEOUT_MS', defaults.REQUEST_TIMEOUT_MS, 100, 600_000),
      headersMs: integer(env, 'ROSTER_HEADERS_TIMEOUT_MS', defaults.HEADERS_TIMEOUT_MS, 100, 600_000),
    },
    scimLogRetentionDays: integer(env, 'ROSTER_SCIM_LOG_RETENTION_DAYS', defaults.SCIM_LOG_RETENTION_DAYS, 1, 3650),
    purgeIntervalSeconds: integer(env, 'ROSTER_PURGE_INTERVAL_SECONDS', defaults.PURGE_INTERVAL_SECONDS, 1, 86_400),
    eventRetentionDays: integer(env, 'ROSTER_EVENT_RETENTION_DAYS', defaults.EVENT_RETENTION_DAYS, 1, 3650),
    console: {
      idleMinutes: integer(env, 'ROSTER_CONSOLE_IDLE_MINUTES', 30, 1, 1440),
      maxHours: integer(env, 'ROSTER_CONSOLE_MAX_HOURS', 12, 1, 168),
    },
    tokenNoticeIntervalSeconds: integer(
      env,
      'ROSTER_TOKEN_NOTICE_INTERVAL_SECONDS',
      defaults.TOKEN_NOTICE_INTERVAL_SECONDS,
      1,
      86_400,
    ),
    webhookDelivery: {
      pollMs: integer(env, 'ROSTER_WEBHOOK_POLL_MS', defaults.WEBHOOK_POLL_MS, 10, 60_000),
      leaseMs: integer(env, 'ROSTER_WEBHOOK_LEASE_MS', defaults.WEBHOOK_LEASE_MS, 1000, 600_000),
      batchSize: integer(env, 'ROSTER_WEBHOOK_BATCH', defaults.WEBHOOK_BATCH, 1, 1000),
      parallel: integer(env, 'ROSTER_WEBHOOK_PARALLEL', defaults.WEBHOOK_PARALLEL, 1, 64),
    },
    rateLimits: {
      scope: rateLimitScope(env.ROSTER_RATE_LIMIT_SCOPE, env.DATABASE_URL || defaults.DATABASE_URL),
      maxBatch: integer(env, 'ROSTER_RATE_LIMIT_MAX_BATCH', defaults.RATE_LIMIT_MAX_BATCH, 1, 10_000),
      tenant: {
        rate: integer(env, 'ROSTER_SCIM_RATE_TENANT', defaults.SCIM_RATE_TENANT, 1, 1_000_000),
        burst: integer(env, 'ROSTER_SCIM_BURST_TENANT', defaults.SCIM_BURST_TENANT, 1, 1_000_000),
      },
      token: {
        rate: integer(env, 'ROSTER_SCIM_RATE_TOKEN', defaults.SCIM_RATE_TOKEN, 1, 1_000_000),
        burst: integer(env, 'ROSTER_SCIM_BURST_TOKEN', defaults.SCIM_BURST_TOKEN, 1, 1_000_000),
      },
      authFailures: {
        rate: integer(env, 'ROSTER_AUTH_FAILURE_RATE', defaults.AUTH_FAILURE_RATE, 1, 1_000_000),
        burst: integer(env, 'ROSTER_AUTH_FAILURE_BURST', defaults.AUTH_FAILURE_BURST, 1, 1_000_000),
      },
    },
    webhooks: {
      allowPrivate: parseBoolean(env, 'ROSTER_WEBHOOK_ALLOW_PRIVATE', false),
      timeoutMs: integer(env, 'ROSTER_WEBHOOK_TIMEOUT_MS', defaults.WEBHOOK_TIMEOUT_MS, 1000, 60_000),
      maxResponseBytes: integer(env, 'ROSTER_WEBHOOK_RESPONSE_BYTES', defaults.WEBHOOK_RESPONSE_BYTES, 0, 1024 * 1024),
      ...dnsServers(env.ROSTER_WEBHOOK_DNS_SERVERS),
      retryHours: integer(env, 'ROSTER_WEBHOOK_RETRY_HOURS', defaults.WEBHOOK_RETRY_HOURS, 1, 720),
    },
    ...(() => {
      const d = dnsServers(env.ROSTER_DNS_SERVERS, 'ROSTER_DNS_SERVERS').dnsServers;
      return d ? { dnsServers: d } : {};
    })(),
    domainRecheckPollMs: integer(
      env,
      'ROSTER_DOMAIN_RECHECK_POLL_MS',
      defaults.DOMAIN_RECHECK_POLL_MS,
      1000,
      24 * 3_600_000,
    ),
    signinInitiateLoginUri: parseInitiateLoginUri(env.ROSTER_SIGNIN_INITIATE_LOGIN_URI),
    signInRateLimits: {
      address: {
        rate: integer(env, 'ROSTER_SIGNIN_RATE_ADDRESS', defaults.SIGNIN_RATE_ADDRESS, 1, 1_000_000),
        burst: integer(env, 'ROSTER_SIGNIN_BURST_ADDRESS', defaults.SIGNIN_BURST_ADDRESS, 1, 1_000_000),
      },
      tenant: {
        rate: integer(env, 'ROSTER_SIGNIN_RATE_TENANT', defaults.SIGNIN_RATE_TENANT, 1, 1_000_000),
        burst: integer(env, 'ROSTER_SIGNIN_BURST_TENANT', defaults.SIGNIN_BURST_TENANT, 1, 1_000_000),
      },
    },
    metrics: {
      token: env.ROSTER_METRICS_TOKEN || undefined,
      port: env.ROSTER_METRICS_PORT ? integer(env, 'ROSTER_METRICS_PORT', 0, 0, 65535) : undefined,
      host: env.ROSTER_METRICS_HOST || defaults.METRICS_HOST,
      tenantLabel: parseBoolean(env, 'ROSTER_METRICS_TENANT_LABEL', false),
    },
    credentials: {
      smtpUrl: parseSmtpUrl(env.ROSTER_SMTP_URL),
      smtpFrom: env.ROSTER_SMTP_FROM || `Roster <no-reply@${new URL(publicUrlForMail(env)).hostname}>`,
      account: {
        rate: integer(env, 'ROSTER_CREDENTIAL_PER_HOUR_ACCOUNT', 30, 1, 1_000_000) / 3600,
        burst: integer(env, 'ROSTER_CREDENTIAL_BURST_ACCOUNT', 10, 1, 1_000_000),
      },
    },
  };
  if (
    config.bootstrapToken !== undefined &&
    (config.bootstrapToken.length < 32 || config.bootstrapToken.length > 512)
  ) {
    throw new ConfigError('ROSTER_BOOTSTRAP_TOKEN must be 32 to 512 characters (use a long random value)');
  }
  if (config.metrics.token !== undefined && (config.metrics.token.length < 32 || config.metrics.token.length > 512)) {
    throw new ConfigError('ROSTER_METRICS_TOKEN must be 32 to 512 characters (use a long random value)');
  }
  if (config.metrics.port !== undefined && config.metrics.port === port && port !== 0) {
    throw new ConfigError('ROSTER_METRICS_PORT must differ from PORT');
  }
  if (config.timeouts.headersMs > config.timeouts.requestMs) {
    throw new ConfigError('ROSTER_HEADERS_TIMEOUT_MS must not exceed ROSTER_REQUEST_TIMEOUT_MS');
  }
  if (config.database.kind === 'postgres' && !config.secretKey) {
    throw new ConfigError(
      'ROSTER_SECRET_KEY is required with PostgreSQL (several processes must share it); see docs/configuration.md for how to generate one',
    );
  }
  return Object.freeze(config);
}

/** ROSTER_SMTP_URL: smtp:// or smtps:// only (nodemailer would also take other transports' URLs). */
function parseSmtpUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('ROSTER_SMTP_URL must be a URL such as smtp://user:pass@mail.example.com:587');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError('ROSTER_SMTP_URL must start with smtp:// or smtps://');
  }
  return raw;
}

/** The host the default From address names: ROSTER_PUBLIC_URL's, or localhost. */
function publicUrlForMail(env: NodeJS.ProcessEnv): string {
  try {
    return new URL(env.ROSTER_PUBLIC_URL ?? 'http://localhost').href;
  } catch {
    return 'http://localhost';
  }
}
