// A tenant's claim on a DNS domain and the tenant's domain policy (docs/domains.md, ADR 0030).

export type DomainStatus = 'pending' | 'verified' | 'failed';

/** Why a lookup did not verify: stable codes, explained in docs/domains.md. */
export type DomainFailure = 'record_not_found' | 'record_mismatch' | 'dns_unavailable';

export interface DomainRecord {
  readonly id: string;
  readonly tenantId: string;
  /** Normalised: lower case, IDNA punycode (A-labels), no trailing dot. */
  readonly domain: string;
  readonly status: DomainStatus;
  /** The TXT value the tenant publishes at `_roster-challenge.<domain>`: `roster-verification=<random>`. */
  readonly challenge: string;
  readonly reason: DomainFailure | null;
  /** Consecutive failed re-checks of a verified domain (three turn it `failed`). */
  readonly failures: number;
  readonly createdAt: string;
  readonly verifiedAt: string | null;
  readonly checkedAt: string | null;
  /** When the daily re-check is next due (verified domains only). */
  readonly nextCheckAt: string | null;
  /** A process re-checking the domain holds it until then (several processes on PostgreSQL). */
  readonly leaseUntil: string | null;
}

export interface DomainPolicy {
  readonly scimRestrictToVerifiedDomains: boolean;
  readonly jitRestrictToVerifiedDomains: boolean;
  /** Stored now; takes effect with Roster's own credentials (issue 13 item 3), which do not exist yet. */
  readonly ssoRequiredForVerifiedDomains: boolean;
}

export const DEFAULT_DOMAIN_POLICY: DomainPolicy = {
  scimRestrictToVerifiedDomains: false,
  jitRestrictToVerifiedDomains: false,
  ssoRequiredForVerifiedDomains: false,
};

export const CHALLENGE_LABEL = '_roster-challenge';
