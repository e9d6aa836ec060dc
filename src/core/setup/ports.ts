// What the setup features (setup links, the setup checklist, test sign-ins) need from the store.
import type { Digest } from '../../lib/keyring.ts';
import type { Repositories } from '../ports.ts';

export interface SetupLinkRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly secret: Digest;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The operator actor that created it (`operator:<token id>`). */
  readonly createdBy: string;
  readonly usedAt: string | null;
  readonly revokedAt: string | null;
}

export interface SetupLinkRepository {
  insert(link: SetupLinkRecord): Promise<void>;
  /** Lookup by the link's own id (the public part of its secret): the tenant is learnt from the row. */
  get(id: string): Promise<SetupLinkRecord | undefined>;
  /** Newest first. */
  list(tenantId: string): Promise<readonly SetupLinkRecord[]>;
  /** Marks the link used if, and only if, it is still unused, unrevoked and unexpired at `at`: true for one caller. */
  markUsed(id: string, at: string): Promise<boolean>;
  /** Marks an unused, unrevoked link revoked; false when there is no such link of the tenant or it is spent. */
  markRevoked(tenantId: string, id: string, at: string): Promise<boolean>;
  /** Deletes up to `limit` links, of any tenant, that expired before `before`; answers how many went. */
  purgeExpired(before: string, limit: number): Promise<number>;
}

/** The outcome of a test sign-in, as recorded for the admin (no tokens, no secrets). */
export interface TestSignInOutcome {
  readonly result: 'resolved' | 'refused';
  /** Refused: the sign-in refusal reason (core/signin/outcomes.ts). */
  readonly reason?: string;
  /** The ID token claims received, without protocol values (nonce, hashes of tokens). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Resolved, or refused because of a known subject: which subject, and how a real sign-in would reach it. */
  readonly subject?: {
    readonly userId: string | null;
    readonly userName: string | null;
    readonly how: 'bound' | 'would link' | 'would be created' | 'refused';
    readonly rule?: 'externalId' | 'userName';
  };
}

export type TestSignInStatus = 'pending' | 'started' | 'finished';

export interface TestSignInRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly providerId: string;
  readonly scheme: string;
  /** Digest of the start key in the URL handed to the admin. */
  readonly startKey: Digest;
  /** Digest of the cookie set on the browser that started it (binds the callback to that browser). */
  readonly browserKey: Digest | null;
  readonly status: TestSignInStatus;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly outcome: TestSignInOutcome | null;
}

export interface TestSignInRepository {
  insert(record: TestSignInRecord): Promise<void>;
  get(tenantId: string, id: string): Promise<TestSignInRecord | undefined>;
  /** pending → started, once, before `expiresAt`: true for one caller. */
  markStarted(tenantId: string, id: string, browserKey: Digest, at: string): Promise<boolean>;
  /** started → finished with its outcome, once: true for one caller. */
  markFinished(tenantId: string, id: string, outcome: TestSignInOutcome, at: string): Promise<boolean>;
  /** Deletes up to `limit` test sign-ins, of any tenant, that expired before `before`; answers how many went. */
  purgeExpired(before: string, limit: number): Promise<number>;
}

/** The facts the setup checklist is computed from: each one indexed query, none growing with the tenant. */
export interface SetupFacts {
  readonly firstProviderAt: string | null;
  readonly redirectUriConfirmedAt: string | null;
  /** The oldest live (unexpired) SCIM token's creation time. */
  readonly firstLiveScimTokenAt: string | null;
  /** The oldest authenticated SCIM request still in the provisioning log. */
  readonly firstScimRequestAt: string | null;
  /** Whether any SCIM token was ever used (lastUsedAt), for when the log's retention has purged the first request. */
  readonly scimTokenUsed: boolean;
  /** The oldest successful SCIM create of a User still in the provisioning log. */
  readonly firstUserProvisionedAt: string | null;
  /** The first sign-in binding (an upstream identity linked or created at its first sign-in). */
  readonly firstSignInAt: string | null;
  /** The oldest directory connection's creation (ADR 0043): a SCIM-only tenant's connection to its IdP. */
  readonly firstDirectoryAt?: string | null | undefined;
}

export interface SetupProgressRepository {
  facts(tenantId: string, now: string): Promise<SetupFacts>;
  /** Records the admin's confirmation; the first confirmation's time is kept. */
  confirmRedirectUri(tenantId: string, at: string, actor: string): Promise<void>;
}

export interface SetupRepositories extends Repositories {
  readonly setupLinks: SetupLinkRepository;
  readonly testSignIns: TestSignInRepository;
  readonly setupProgress: SetupProgressRepository;
}

export interface SetupStore {
  readonly setupLinks: SetupLinkRepository;
  readonly testSignIns: TestSignInRepository;
  readonly setupProgress: SetupProgressRepository;
  transaction<T>(work: (tx: SetupRepositories) => Promise<T>): Promise<T>;
}
