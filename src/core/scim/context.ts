// Who is provisioning: the SCIM token's tenant, token id and SSO provider, plus the store and clock.
import type { Clock } from '../../lib/clock.ts';
import type { PrefetchedGroup, PrefetchedUser } from '../auth/principal.ts';
import type { DomainGate } from '../domains/policy.ts';
import type { DomainPolicy } from '../domains/records.ts';
import type { ScimStore } from './ports.ts';
import type { PrefetchedLookup } from './prefetch.ts';

export interface ScimDeps {
  readonly scim: ScimStore;
  readonly clock: Clock;
  /** ROSTER_PUBLIC_URL: events carry each resource's SCIM representation with its absolute location. */
  readonly publicUrl: string;
  /**
   * The tenant's verified domains when its domainPolicy restricts SCIM to them, else undefined (docs/domains.md).
   * Absent where no policy applies (benchmarks and tools that drive the use cases without the app).
   */
  readonly domainGate?: DomainGate;
}

export interface ScimCaller {
  readonly tenantId: string;
  readonly tokenId: string;
  readonly provider: string;
  /** The token's default role for the users it creates (ADR 0032); null or absent: the tenant's default. */
  readonly defaultRole?: string | null | undefined;
  /** The tenant's domain policy as the request's authentication read it (ADR 0045); absent: the gate reads it. */
  readonly domainPolicy?: DomainPolicy | undefined;
  /** The user `GET /Users/{id}` asked for, read in the token's statement (ADR 0051); absent: read it now. */
  readonly prefetchedUser?: PrefetchedUser | undefined;
  /** The group `GET /Groups/{id}` asked for, read in the token's statement; absent: read it now. */
  readonly prefetchedGroup?: PrefetchedGroup | undefined;
  /** The lookup a list request asked for, read in the token's statement (ADR 0055); absent: search now. */
  readonly prefetchedLookup?: PrefetchedLookup | undefined;
}
