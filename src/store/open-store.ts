// Opens the configured store, applies pending migrations, and exposes it through the core's Store port.
import { type Kysely, Migrator } from 'kysely';
import type pg from 'pg';
import type { ConsoleSessionRepository } from '../core/console/ports.ts';
import type { PasskeyStore } from '../core/credentials/passkey-ports.ts';
import type { CredentialStore } from '../core/credentials/ports.ts';
import type { DirectoryStore } from '../core/directory/ports.ts';
import type { EventFeedStore } from '../core/events/ports.ts';
import type { Store } from '../core/ports.ts';
import type { RateLimitStore } from '../core/ratelimit/shared-buckets.ts';
import type { ScimRepositories, ScimStore } from '../core/scim/ports.ts';
import type { SetupStore } from '../core/setup/ports.ts';
import type { OidcPayloadRepository, SigninStore } from '../core/signin/ports.ts';
import type { WebhookStore } from '../core/webhooks/ports.ts';
import { createConsoleSessionRepository } from './console-sessions.ts';
import { createCredentialStore } from './credentials.ts';
import { createDirectoryStore } from './directory.ts';
import { createEventFeedStore } from './events.ts';
import { fixedQueries, type Reader } from './fixed-queries.ts';
import { GroupCommitter } from './group-commit.ts';
import { createKeyStore } from './key-store.ts';
import { migrationProvider } from './migrations/index.ts';
import { createPasskeyStore } from './passkeys.ts';
import { isPostgresUnavailable, isPostgresUniqueViolation, openPostgres } from './postgres.ts';
import { postgresRateLimits } from './rate-limits.ts';
import { createRepositories, type DialectTraits } from './repositories.ts';
import type { Database } from './schema.ts';
import { createScimRepositories } from './scim/scim-repositories.ts';
import { createSingleStatementWrites } from './scim/single-statement-writes.ts';
import { createSetupStore } from './setup.ts';
import { createPayloadRepository } from './signin/payloads.ts';
import { createSigninRepositories } from './signin/signin-repositories.ts';
import { isSqliteUnavailable, isSqliteUniqueViolation, openSqlite, openSqliteReader } from './sqlite.ts';
import { createWebhookStore } from './webhooks.ts';

export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface OpenedStore extends Store {
  readonly db: Kysely<Database>;
  readonly scim: ScimStore;
  readonly signin: SigninStore;
  /** The committed event feed (the outbox is written through `scim`'s transactions). */
  readonly feed: EventFeedStore;
  /** Webhook endpoints, their delivery queues and the dispatcher's cursor (ADR 0020). */
  readonly webhooks: WebhookStore;
  /** The directory API's reads (ADR 0021). */
  readonly directory: DirectoryStore;
  /** Console sessions (ADR 0028). */
  readonly consoleSessions: ConsoleSessionRepository;
  /** Setup links, test sign-ins and the setup checklist's facts (ADR 0029). */
  readonly setup: SetupStore;
  /** Roster ID credentials: links, passwords, TOTP, enrolment sessions (ADR 0040). */
  readonly credentials: CredentialStore;
  /** Passkeys of Roster ID users and WebAuthn challenges (ADR 0042). */
  readonly passkeys: PasskeyStore;
  /** SQLite group commit: commits issued for SCIM write transactions (undefined on PostgreSQL). */
  groupCommits(): number | undefined;
  /** Wall milliseconds the writer has spent blocked inside COMMIT (SQLite only). */
  groupCommitMs(): number | undefined;
  /** SQLite group commit: `listener` is told each commit's batch size (nothing happens on PostgreSQL). */
  onGroupCommit(listener: (size: number) => void): void;
  /** The PostgreSQL pool's connections (undefined on SQLite, which has one connection and no pool). */
  poolStats(): { total: number; idle: number; waiting: number; max: number } | undefined;
  /** Rate-limit buckets shared by every process on this database (PostgreSQL only; SQLite has one process). */
  readonly rateLimits: RateLimitStore | undefined;
  /** True when an error means the database cannot serve now (→ 503 + Retry-After), not that the request is bad. */
  isUnavailable(error: unknown): boolean;
}

export async function migrate(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider({ dialect }) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error)?.message ?? error}`);
  }
}

export interface StoreOptions {
  /** PostgreSQL statement_timeout and lock_timeout (default PG_STATEMENT_TIMEOUT_MS). */
  readonly statementTimeoutMs?: number;
}

/** What a group-commit batch's transactions work through: its connection, and SCIM repositories made once for it. */
interface BatchContext {
  readonly handle: Kysely<Database>;
  readonly scim: ScimRepositories;
  /** The OP's payload writes on the batch's connection (ADR 0049: made once per batch, not once per write). */
  readonly payloads: OidcPayloadRepository;
}

/** The payload repository with its single-statement writes run through the group commit. */
function groupCommitted(
  payloads: OidcPayloadRepository,
  committer: GroupCommitter<BatchContext>,
): OidcPayloadRepository {
  const via = <T>(write: (p: OidcPayloadRepository) => Promise<T>) => committer.run((batch) => write(batch.payloads));
  return {
    ...payloads,
    upsert: (...a) => via((p) => p.upsert(...a)),
    consume: (...a) => via((p) => p.consume(...a)),
    take: (...a) => via((p) => p.take(...a)),
    destroy: (...a) => via((p) => p.destroy(...a)),
    revokeByGrantId: (...a) => via((p) => p.revokeByGrantId(...a)),
  };
}

export async function openStore(location: StoreLocation, options: StoreOptions = {}): Promise<OpenedStore> {
  let db: Kysely<Database>;
  let traits: DialectTraits;
  let isUnavailable: (error: unknown) => boolean;
  let reader: (Reader & { close(): void }) | undefined;
  let pgPool: pg.Pool | undefined;
  if (location.kind === 'sqlite') {
    db = openSqlite(location.path).db;
    traits = { dialect: 'sqlite', isUniqueViolation: isSqliteUniqueViolation };
    isUnavailable = isSqliteUnavailable;
  } else {
    const opened = openPostgres(location.url, { statementTimeoutMs: options.statementTimeoutMs });
    db = opened.db;
    pgPool = opened.pool;
    traits = { dialect: 'postgres', isUniqueViolation: isPostgresUniqueViolation };
    isUnavailable = isPostgresUnavailable;
  }
  try {
    await migrate(db, location.kind);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // Opened after the migrations, so the reader never sees a half-made schema.
  if (location.kind === 'sqlite' && location.path !== ':memory:') reader = openSqliteReader(location.path);
  const reads = fixedQueries(db, location.kind, reader);
  const repositories = createRepositories(db, traits, reads);
  const scimDialect = { dialect: location.kind, isUniqueViolation: traits.isUniqueViolation };
  // SQLite: SCIM writes that arrive together share one BEGIN IMMEDIATE … COMMIT (one fsync), each in its own
  // savepoint and acknowledged after that commit. PostgreSQL commits each transaction itself.
  const committer =
    location.kind === 'sqlite'
      ? new GroupCommitter<BatchContext>(db, (conn) => {
          let scim: ScimRepositories | undefined;
          let payloads: OidcPayloadRepository | undefined;
          return {
            handle: conn,
            get scim() {
              // Made on first use: a batch of sign-in writes alone needs none.
              scim ??= createScimRepositories(conn, scimDialect);
              return scim;
            },
            get payloads() {
              payloads ??= createPayloadRepository(conn, fixedQueries(conn, location.kind, undefined));
              return payloads;
            },
          };
        })
      : undefined;
  const scim: ScimStore = {
    ...createScimRepositories(db, scimDialect, reads),
    transaction: committer
      ? (work) => committer.run((batch) => work(batch.scim))
      : (work) => db.transaction().execute((trx) => work(createScimRepositories(trx, scimDialect))),
    // PostgreSQL: a user create, PATCH or PUT in one statement instead of a transaction of five or more (ADR 0057).
    ...(location.kind === 'postgres'
      ? { singleStatement: createSingleStatementWrites(db, reads, traits.isUniqueViolation) }
      : {}),
  };
  const signinIn = (handle: Kysely<Database>) =>
    createSigninRepositories(
      handle,
      createScimRepositories(handle, scimDialect),
      fixedQueries(handle, location.kind, undefined),
    );
  // Outside a transaction, sign-in reads what SCIM reads through: fixed queries, on SQLite's read connection.
  const signinRepositories = createSigninRepositories(db, scim, reads, fixedQueries(db, location.kind, undefined));
  const signin: SigninStore = {
    ...signinRepositories,
    // SQLite: the OpenID Provider's writes (a token issued, a code consumed, a grant revoked) that arrive together
    // share one commit, as SCIM writes do — one fsync for a burst of token requests instead of one each (ADR 0027).
    payloads: committer ? groupCommitted(signinRepositories.payloads, committer) : signinRepositories.payloads,
    transaction: (work) => db.transaction().execute((trx) => work(signinIn(trx))),
  };
  return {
    scim,
    signin,
    feed: createEventFeedStore(db, location.kind),
    webhooks: createWebhookStore(db, location.kind, (trx) => createRepositories(trx, traits)),
    directory: createDirectoryStore(db, location.kind, scim.users.groupsOf, reads),
    consoleSessions: createConsoleSessionRepository(db),
    setup: createSetupStore(db, (trx) => createRepositories(trx, traits)),
    credentials: createCredentialStore(db, (handle) => ({
      base: createRepositories(handle, traits),
      scim: createScimRepositories(handle, scimDialect),
    })),
    passkeys: createPasskeyStore(db, traits),
    groupCommits: () => committer?.commits,
    groupCommitMs: () => committer?.commitMs,
    onGroupCommit(listener) {
      if (committer) committer.onCommit = listener;
    },
    poolStats: () =>
      pgPool && {
        total: pgPool.totalCount,
        idle: pgPool.idleCount,
        waiting: pgPool.waitingCount,
        max: pgPool.options.max ?? 10,
      },
    rateLimits: location.kind === 'postgres' ? postgresRateLimits(db) : undefined,
    ...repositories,
    kind: location.kind,
    keys: createKeyStore(db),
    db,
    isUnavailable,
    transaction: (work) => db.transaction().execute((trx) => work(createRepositories(trx, traits))),
    async ping() {
      await db.selectFrom('tenants').select('id').limit(1).execute();
    },
    async close() {
      reader?.close();
      await db.destroy();
    },
  };
}
