// What passkeys need from the store (ADR 0042): the credentials of Roster ID users, and single-use challenges.

export type ChallengePurpose = 'register' | 'authenticate';

export interface PasskeyRecord {
  readonly tenantId: string;
  /** Roster's own id for the row (what the user's passkey list names). */
  readonly id: string;
  readonly userId: string;
  /** base64url, as the authenticator made it. */
  readonly credentialId: string;
  /** The COSE public key, base64url. */
  readonly publicKey: string;
  readonly signCount: number;
  readonly transports: readonly string[];
  /** 'singleDevice' or 'multiDevice' (a synced passkey). */
  readonly deviceType: string;
  readonly backedUp: boolean;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface ChallengeRecord {
  readonly tenantId: string;
  readonly challenge: string;
  readonly purpose: ChallengePurpose;
  /** register: the enrolling user's id; authenticate: the interaction's uid. */
  readonly boundTo: string;
  readonly expiresAt: string;
}

export interface PasskeyRepository {
  /** False when the credential id is already registered in this tenant. */
  insert(passkey: PasskeyRecord): Promise<boolean>;
  byCredentialId(tenantId: string, credentialId: string): Promise<PasskeyRecord | undefined>;
  listForUser(tenantId: string, userId: string): Promise<readonly PasskeyRecord[]>;
  /**
   * Records a use: the new counter and backup state, only if the stored counter is still `fromCount` (of two
   * concurrent sign-ins with the same counter, one wins). False when another use got there first.
   */
  recordUse(
    tenantId: string,
    id: string,
    fromCount: number,
    use: { signCount: number; backedUp: boolean; at: string },
  ): Promise<boolean>;
  rename(tenantId: string, userId: string, id: string, name: string): Promise<boolean>;
  delete(tenantId: string, userId: string, id: string): Promise<boolean>;
}

export interface ChallengeRepository {
  insert(challenge: ChallengeRecord): Promise<void>;
  /** Deletes and returns in one statement, so a challenge is spent once even by two racing requests. */
  take(tenantId: string, challenge: string): Promise<ChallengeRecord | undefined>;
  /** Deletes at most `limit` challenges that expired before `at`; returns how many went. */
  purgeExpired(at: string, limit: number): Promise<number>;
}

export interface PasskeyStore {
  readonly passkeys: PasskeyRepository;
  readonly challenges: ChallengeRepository;
}
