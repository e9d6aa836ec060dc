// A SCIM token, its tenant's domain policy and one user of that tenant in ONE statement, on PostgreSQL (ADR 0051):
// there a statement is a round trip, and `GET /Users/{id}` — the read an IdP makes most after its lookups — was two
// (the token's, then the user's). The user is joined on the token's own tenant, so the URL or the id can never
// reach another tenant's row; what the caller may see is still decided after the token is verified.
import { type Compilable, type Kysely, sql } from 'kysely';
import type { DomainPolicy } from '../../core/domains/records.ts';
import type { ScimTokenRecord } from '../../core/records.ts';
import type { StoredUser } from '../../core/scim/records.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, ScimTokensTable, ScimUsersTable } from '../schema.ts';
import { directGroupsColumn } from './direct-groups.ts';
import { readColumns, toUser } from './rows.ts';

type TokenRow = ScimTokensTable & { domain_policy: string | null };
type TokenWithPolicy = ScimTokenRecord & { readonly domainPolicy: DomainPolicy | null };

/** The user's columns come back prefixed, beside the token's own `id`, `tenant_id` and `created_at`. */
const USER_COLUMNS = readColumns('scim_users');
const prefixed = (column: string) => `u_${column}`;

export function tokenWithUser(
  db: Kysely<Database>,
  q: FixedQueries,
  toTokenWithPolicy: (row: TokenRow) => TokenWithPolicy,
) {
  return async (
    id: string,
    userId: string,
  ): Promise<(TokenWithPolicy & { readonly user: StoredUser | null }) | undefined> => {
    const key = { id, userId };
    const row = await q.first<Record<string, unknown>, typeof key>(
      'scim_tokens.getWithDomainPolicyAndUser',
      (p) =>
        db
          .selectFrom('scim_tokens as t')
          .leftJoin('scim_users as r', (join) =>
            join.onRef('r.tenant_id', '=', 't.tenant_id').on('r.id', '=', p('userId')),
          )
          .selectAll('t')
          .select((eb) =>
            eb
              .selectFrom('tenant_settings as s')
              .select('s.domain_policy')
              .whereRef('s.tenant_id', '=', 't.tenant_id')
              .as('domain_policy'),
          )
          .select(USER_COLUMNS.map((c) => sql.ref(`r.${c}`).as(prefixed(c))))
          .select(directGroupsColumn().as(prefixed('direct_groups')))
          .where('t.id', '=', p('id')) as unknown as Compilable<Record<string, unknown>>,
      key,
    );
    if (!row) return undefined;
    const token = toTokenWithPolicy(row as unknown as TokenRow);
    if (row[prefixed('id')] === null) return { ...token, user: null };
    const user = Object.fromEntries(
      [...USER_COLUMNS, 'direct_groups'].map((c) => [c, row[prefixed(c)]]),
    ) as unknown as ScimUsersTable & { direct_groups: unknown };
    return { ...token, user: toUser(user) };
  };
}
