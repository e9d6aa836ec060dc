// What sign-in needs from the store: the OpenID Provider's state, apps, signing keys and identity bindings.
import type { ScimRepositories } from '../scim/ports.ts';
import type { StoredUser } from '../scim/records.ts';

/** One oidc-provider model instance (Session, Grant, AccessToken, …) with the fields it is looked up by. */
export interface OidcPayload {
  readonly payload: Record<string, unknown>;
  /** Epoch seconds; null for models that do not expire. */
  readonly expiresAt: number | null;
}

/** What one statement reads for the token endpoint: a token, the grant it belongs to, the subject it was issued to. */
export interface TokenWithGrant {
  readonly token: Record<string, unknown>;
  readonly grant: Record<string, unknown> | undefined;
  readonly subject: StoredUser | undefined;
}

export interface OidcPayloadRepository {
  upsert(
    tenantId: string,
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresAt: number | null,
  ): Promise<void>;
  find(tenantId: string, model: string, id: string): Promise<Record<string, unknown> | undefined>;
  /**
   * A code or refresh token with its grant and its subject, read in the same statement (ADR 0058): undefined when
   * the token is missing or expired; `grant` and `subject` undefined when theirs are.
   */
  findWithGrant(tenantId: string, model: string, id: string): Promise<TokenWithGrant | undefined>;
  findByUid(tenantId: string, model: string, uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(tenantId: string, model: string, userCode: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Marks an unconsumed row consumed; false when it was consumed already (or is gone): another redemption of the
   * same code or refresh token got there first.
   */
  consume(tenantId: string, model: string, id: string, at: number): Promise<boolean>;
  /** Deletes and returns in one statement: of two concurrent takes, exactly one gets the payload. */
  take(tenantId: string, model: string, id: string): Promise<Record<string, unknown> | undefined>;
  destroy(tenantId: string, model: string, id: string): Promise<void>;
  revokeByGrantId(tenantId: string, grantId: string): Promise<void>;
  /** Ends every session, grant, code and token of a subject; returns how many were removed. */
  revokeByAccount(tenantId: string, accountId: string): Promise<number>;
  /**
   * Deletes at most `limit` rows that expired at or before `nowEpochSeconds` in one short statement; returns how
   * many went. Callers loop (see purge-expired.ts): one unbounded DELETE would hold the SQLite writer, and the
   * event loop with it, for as long as the backlog takes.
   */
  purgeExpired(nowEpochSeconds: number, limit: number): Promise<number>;
}

export interface OidcClientRecord {
  readonly tenantId: string;
  readonly clientId: string;
  /** OpenID Connect client metadata (redirect_uris, …) without the secret. */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly secretSealed: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface OidcClientRepository {
  insert(client: OidcClientRecord): Promise<void>;
  get(tenantId: string, clientId: string): Promise<OidcClientRecord | undefined>;
  list(tenantId: string): Promise<readonly OidcClientRecord[]>;
  update(client: OidcClientRecord): Promise<boolean>;
  delete(tenantId: string, clientId: string): Promise<boolean>;
}

/** A vendor-wide app (ADR 0044): registered by the operator, known to every tenant's issuer. */
export interface OperatorClientRecord {
  readonly clientId: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly secretSealed: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface OperatorClientRepository {
  insert(client: OperatorClientRecord): Promise<void>;
  get(clientId: string): Promise<OperatorClientRecord | undefined>;
  list(): Promise<readonly OperatorClientRecord[]>;
  update(client: OperatorClientRecord): Promise<boolean>;
  delete(clientId: string): Promise<boolean>;
}

/** What the operator did (operator actions belong to no tenant, so not to a tenant's audit trail). */
export interface OperatorAuditRecord {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface OperatorAuditRepository {
  append(entry: OperatorAuditRecord): Promise<void>;
  /** Newest first; `before` is an id from a previous page. */
  list(options: { limit: number; before?: string | undefined }): Promise<readonly OperatorAuditRecord[]>;
}

export interface SigningKeyRecord {
  readonly tenantId: string;
  readonly kid: string;
  readonly privateJwkSealed: string;
  readonly createdAt: string;
  readonly retiredAt: string | null;
}

export interface SigningKeyRepository {
  /** Newest first. */
  list(tenantId: string): Promise<readonly SigningKeyRecord[]>;
  /** As `list`, without the sealed private keys: what every protocol request checks (ADR 0058). */
  listVersions(tenantId: string): Promise<readonly Pick<SigningKeyRecord, 'kid' | 'retiredAt'>[]>;
  insert(key: SigningKeyRecord): Promise<void>;
  retireAllExcept(tenantId: string, kid: string, at: string): Promise<void>;
  deleteRetiredBefore(tenantId: string, at: string): Promise<void>;
}

export interface UpstreamIdentityKey {
  readonly tenantId: string;
  readonly providerId: string;
  /** Entra: the directory (tid); other OIDC providers: ''. */
  readonly directory: string;
  /** Entra: the object id (oid); other OIDC providers: sub. */
  readonly subject: string;
}

export interface UpstreamIdentityRepository {
  find(key: UpstreamIdentityKey): Promise<string | undefined>;
  /** The binding a subject already has for a provider, if any. */
  findForUser(tenantId: string, providerId: string, userId: string): Promise<UpstreamIdentityKey | undefined>;
  /** False when either side is already bound (a concurrent sign-in won). */
  insert(key: UpstreamIdentityKey, userId: string, at: string): Promise<boolean>;
}

export interface SigninRepositories {
  readonly payloads: OidcPayloadRepository;
  readonly clients: OidcClientRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly identities: UpstreamIdentityRepository;
  readonly scim: ScimRepositories;
  /** Vendor-wide apps and the operator's audit trail of them (ADR 0044). */
  readonly operatorClients: OperatorClientRepository;
  readonly operatorAudit: OperatorAuditRepository;
}

export interface SigninStore extends SigninRepositories {
  transaction<T>(work: (tx: SigninRepositories) => Promise<T>): Promise<T>;
}
