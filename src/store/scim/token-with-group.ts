// A SCIM token, its tenant's domain policy and one group of that tenant in ONE statement, on PostgreSQL: the
// counterpart for `GET /Groups/{id}` (Entra reads a group so, with `excludedAttributes=members`) of ADR 0051's user
// read. The group is joined on the token's own tenant, so the URL or the id can never reach another tenant's row;
// what the caller may see is still decided after the token is verified. Members, when rendered, are read apart.
import { type Compilable, type Kysely, sql } from 'kysely';
import type { DomainPolicy } from '../../core/domains/records.ts';
import type { ScimTokenRecord } from '../../core/records.ts';
import type { StoredGroup } from '../../core/scim/records.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, ScimGroupsTable, ScimTokensTable } from '../schema.ts';
import { readColumns, toGroup } from './rows.ts';

type TokenRow = ScimTokensTable & { domain_policy: string | null };
type TokenWithPolicy = ScimTokenRecord & { readonly domainPolicy: DomainPolicy | null };

/** The group's columns come back prefixed, beside the token's own `id`, `tenant_id` and `created_at`. */
const GROUP_COLUMNS = readColumns('scim_groups');
const prefixed = (column: string) => `g_${column}`;

export function tokenWithGroup(
  db: Kysely<Database>,
  q: FixedQueries,
  toTokenWithPolicy: (row: TokenRow) => TokenWithPolicy,
) {
  return async (
    id: string,
    groupId: string,
  ): Promise<(TokenWithPolicy & { readonly group: StoredGroup | null }) | undefined> => {
    const key = { id, groupId };
    const row = await q.first<Record<string, unknown>, typeof key>(
      'scim_tokens.getWithDomainPolicyAndGroup',
      (p) =>
        db
          .selectFrom('scim_tokens as t')
          .leftJoin('scim_groups as r', (join) =>
            join.onRef('r.tenant_id', '=', 't.tenant_id').on('r.id', '=', p('groupId')),
          )
          .selectAll('t')
          .select((eb) =>
            eb
              .selectFrom('tenant_settings as s')
              .select('s.domain_policy')
              .whereRef('s.tenant_id', '=', 't.tenant_id')
              .as('domain_policy'),
          )
          .select(GROUP_COLUMNS.map((c) => sql.ref(`r.${c}`).as(prefixed(c))))
          .where('t.id', '=', p('id')) as unknown as Compilable<Record<string, unknown>>,
      key,
    );
    if (!row) return undefined;
    const token = toTokenWithPolicy(row as unknown as TokenRow);
    if (row[prefixed('id')] === null) return { ...token, group: null };
    const group = Object.fromEntries(GROUP_COLUMNS.map((c) => [c, row[prefixed(c)]])) as unknown as ScimGroupsTable;
    return { ...token, group: toGroup(group) };
  };
}
