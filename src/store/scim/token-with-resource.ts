// A SCIM token, its tenant's domain policy and one user or group of that tenant in ONE statement, on PostgreSQL
// (ADR 0051): there a statement is a round trip, and `GET /Users/{id}` and `GET /Groups/{id}` (Entra's, with
// `excludedAttributes=members`) were two each (the token's, then the resource's). The resource is joined on the
// token's own tenant, so the URL or the id can never reach another tenant's row; what the caller may see is still
// decided after the token is verified. A user brings its direct groups along; a group's members are read apart.
import { type Compilable, type Kysely, sql } from 'kysely';
import type { StoredGroup, StoredUser } from '../../core/scim/records.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, ScimGroupsTable, ScimUsersTable } from '../schema.ts';
import { directGroupsColumn } from './direct-groups.ts';
import { aliasedColumns, type ResourceTable, readColumns, readColumnsWithGroups, toGroup, toUser } from './rows.ts';
import { domainPolicyColumn, type TokenRow, type TokenWithPolicy } from './token-with-policy.ts';

/** The resource's columns come back prefixed, beside the token's own `id`, `tenant_id` and `created_at`. */
const prefixed = (column: string) => `r_${column}`;

/** The token by id with the row of `table` named `resourceId` in the token's tenant (null: none there). */
function tokenWith(db: Kysely<Database>, q: FixedQueries, table: ResourceTable, name: string) {
  return async (
    id: string,
    resourceId: string,
  ): Promise<{ token: TokenRow; resource: Record<string, unknown> | null } | undefined> => {
    const key = { id, resourceId };
    const row = await q.first<Record<string, unknown>, typeof key>(
      `scim_tokens.${name}`,
      (p) =>
        db
          .selectFrom('scim_tokens as t')
          .leftJoin(`${table} as r` as 'scim_users as r', (join) =>
            join.onRef('r.tenant_id', '=', 't.tenant_id').on('r.id', '=', p('resourceId')),
          )
          .selectAll('t')
          .select(domainPolicyColumn())
          .select(readColumns(table).map((c) => sql.ref(`r.${c}`).as(prefixed(c))))
          .$if(table === 'scim_users', (b) => b.select(directGroupsColumn().as(prefixed('direct_groups'))))
          .where('t.id', '=', p('id')) as unknown as Compilable<Record<string, unknown>>,
      key,
    );
    if (!row) return undefined;
    const resource = row[prefixed('id')] === null ? null : aliasedColumns(row, readColumnsWithGroups(table), prefixed);
    return { token: row as unknown as TokenRow, resource };
  };
}

export function tokenWithUser(
  db: Kysely<Database>,
  q: FixedQueries,
  toTokenWithPolicy: (row: TokenRow) => TokenWithPolicy,
) {
  const read = tokenWith(db, q, 'scim_users', 'getWithDomainPolicyAndUser');
  return async (id: string, userId: string): Promise<(TokenWithPolicy & { user: StoredUser | null }) | undefined> => {
    const found = await read(id, userId);
    if (!found) return undefined;
    const user = found.resource as (ScimUsersTable & { direct_groups: unknown }) | null;
    return { ...toTokenWithPolicy(found.token), user: user && toUser(user) };
  };
}

export function tokenWithGroup(
  db: Kysely<Database>,
  q: FixedQueries,
  toTokenWithPolicy: (row: TokenRow) => TokenWithPolicy,
) {
  const read = tokenWith(db, q, 'scim_groups', 'getWithDomainPolicyAndGroup');
  return async (
    id: string,
    groupId: string,
  ): Promise<(TokenWithPolicy & { group: StoredGroup | null }) | undefined> => {
    const found = await read(id, groupId);
    if (!found) return undefined;
    const group = found.resource as ScimGroupsTable | null;
    return { ...toTokenWithPolicy(found.token), group: group && toGroup(group) };
  };
}
