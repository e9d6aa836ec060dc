// What every read of a SCIM token selects beside it (ADR 0045): its tenant's stored domain policy, so that a user
// write needs no statement of its own for it. Shared by the token's plain read and by the reads that bring a user,
// a group or a lookup's page along (ADRs 0051, 0055).
import { sql } from 'kysely';
import type { DomainPolicy } from '../../core/domains/records.ts';
import type { ScimTokenRecord } from '../../core/records.ts';
import type { ScimTokensTable } from '../schema.ts';

export type TokenRow = ScimTokensTable & { domain_policy: string | null };
export type TokenWithPolicy = ScimTokenRecord & { readonly domainPolicy: DomainPolicy | null };

/** `domain_policy`: the stored policy of the tenant of the token aliased `t` (null: none stored). */
export const domainPolicyColumn = () =>
  sql<
    string | null
  >`(select "s"."domain_policy" from "tenant_settings" as "s" where "s"."tenant_id" = "t"."tenant_id")`.as(
    'domain_policy',
  );
