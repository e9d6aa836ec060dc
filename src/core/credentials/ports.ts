// What Roster ID's own credentials (ADR 0040) need from the store: one-time links, passwords, TOTP factors,
// enrolment sessions and the tenant's SCIM-alone setting. Every lookup names its tenant, except a link's or an
// enrolment session's lookup by its own id (the public half of its secret), whose row then names the tenant.
import type { Digest } from '../../lib/keyring.ts';
import type { Repositories } from '../ports.ts';
import type { ScimRepositories } from '../scim/ports.ts';

export type LinkPurpose = 'invite' | 'reset';
export type MailStatus = 'queued' | 'sent' | 'failed';

export interface CredentialLinkRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly email: string;
  readonly purpose: LinkPurpose;
  readonly secret: Digest;
  /** `admin:<token id>`, `scim:<token id>` (SCIM-alone activation) or `self` (a reset asked for on the page). */
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
  readonly revokedAt: string | null;
  readonly mail: {
    readonly status: MailStatus;
    readonly attempts: number;
    /** The link's URL sealed with the keyring until it is sent (a retry sends the same link), then null. */
    readonly sealed: string | null;
    readonly nextAt: string | null;
  };
}

export interface CredentialLinkRepository {
  insert(link: CredentialLinkRecord): Promise<void>;
  get(id: string): Promise<CredentialLinkRecord | undefined>;
  /** Newest first. */
  list(tenantId: string, limit: number): Promise<readonly CredentialLinkRecord[]>;
  /** Marks the link used if it is still unused, unrevoked and unexpired at `at`: true for exactly one caller. */
  markUsed(id: string, at: string): Promise<boolean>;
  markRevoked(tenantId: string, id: string, at: string): Promise<boolean>;
  /** Whether the user already has a link made by SCIM-alone activation (each user gets one). */
  hasActivation(tenantId: string, userId: string): Promise<boolean>;
  /** Revokes the user's other live links of this purpose (a new reset link replaces the older ones). */
  revokeOthers(tenantId: string, userId: string, purpose: LinkPurpose, keepId: string, at: string): Promise<void>;
  /** Queued mails due at `at` whose lease is free: at most `limit`. */
  dueMail(at: string, limit: number): Promise<readonly CredentialLinkRecord[]>;
  /** Takes the send lease (exactly one process gets true). */
  claimMail(id: string, at: string, until: string): Promise<boolean>;
  /** Records a send's outcome: sent (the sealed link is dropped), or another attempt at `nextAt`, or failed. */
  recordMail(id: string, outcome: { status: MailStatus; attempts: number; nextAt: string | null }): Promise<void>;
}

export interface PasswordRecord {
  readonly tenantId: string;
  readonly userId: string;
  readonly loginKey: string;
  readonly hash: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface PasswordRepository {
  /** Inserts or replaces the user's password (and login address). */
  put(record: PasswordRecord): Promise<void>;
  get(tenantId: string, userId: string): Promise<PasswordRecord | undefined>;
  findByLogin(tenantId: string, loginKey: string): Promise<PasswordRecord | undefined>;
}

export interface TotpRecord {
  readonly tenantId: string;
  readonly userId: string;
  /** Sealed with the keyring, bound to the tenant and user. */
  readonly secretSealed: string;
  readonly createdAt: string;
  readonly confirmedAt: string | null;
  readonly lastUsedStep: number | null;
}

export interface TotpRepository {
  /** Inserts or replaces the user's (unconfirmed) factor. */
  put(record: TotpRecord): Promise<void>;
  get(tenantId: string, userId: string): Promise<TotpRecord | undefined>;
  confirm(tenantId: string, userId: string, at: string, step: number): Promise<boolean>;
  /** Records `step` as used only if it is later than the last used one: false when it was already spent. */
  useStep(tenantId: string, userId: string, step: number): Promise<boolean>;
}

export interface EnrolmentRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly secret: Digest;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface EnrolmentRepository {
  insert(record: EnrolmentRecord): Promise<void>;
  get(id: string): Promise<EnrolmentRecord | undefined>;
  delete(tenantId: string, id: string): Promise<boolean>;
  /** Removes sessions expired before `at` (the purge). */
  purgeBefore(at: string): Promise<number>;
}

/** The SCIM-alone activation reader's place in the event feed, moved by one lease holder at a time. */
export interface ActivationCursorRepository {
  /** Takes the lease (creating the row at the feed's start if missing): the position, or undefined when held. */
  claim(at: string, until: string): Promise<{ xid: string; seq: string } | undefined>;
  /** Stores the new position and releases the lease. */
  advance(position: { xid: string; seq: string }): Promise<void>;
}

export interface CredentialSettingsRepository {
  scimAloneMode(tenantId: string): Promise<boolean | undefined>;
  putScimAloneMode(tenantId: string, on: boolean, at: string): Promise<void>;
}

export interface CredentialRepositories extends Repositories {
  readonly links: CredentialLinkRepository;
  readonly passwords: PasswordRepository;
  readonly totp: TotpRepository;
  readonly enrolments: EnrolmentRepository;
  readonly credentialSettings: CredentialSettingsRepository;
  readonly activationCursor: ActivationCursorRepository;
  /** The tenant's users, to resolve a login address or create an invited subject. */
  readonly users: ScimRepositories['users'];
}

export interface CredentialStore extends CredentialRepositories {
  transaction<T>(work: (tx: CredentialRepositories) => Promise<T>): Promise<T>;
}
