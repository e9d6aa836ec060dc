// A SCIM token, its tenant's domain policy and the first page of an `attr eq "value"` lookup among that tenant's
// resources in ONE statement, on PostgreSQL (ADR 0055, the lookup's counterpart of ADR 0051): the lookup IdPs send
// before every create was two round trips (the token's, then the page's). The page is a lateral join keyed by the
// token's own tenant (`r.tenant_id = t.tenant_id`), so no filter can reach another tenant's rows; what the caller
// may see is still decided after the token is verified. The SQL is compiled once per shape (lookup-shapes.ts).
import { type Compilable, type Kysely, sql } from 'kysely';
import type { FirstPageLookup, SearchResult, StoredGroup, StoredUser } from '../../core/scim/records.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, ScimGroupsTable, ScimUsersTable } from '../schema.ts';
import { directGroupsColumn } from './direct-groups.ts';
import { compileFilter } from './filter-sql.ts';
import { compiledLookup, lookupShape, type TokenLookupRequest } from './lookup-shapes.ts';
import { aliasedColumns, type ResourceTable, readColumns, readColumnsWithGroups, toGroup, toUser } from './rows.ts';
import { domainPolicyColumn, type TokenRow, type TokenWithPolicy } from './token-with-policy.ts';

type Found = SearchResult<StoredUser | StoredGroup>;

/** The page's columns come back prefixed, beside the token's own `id`, `tenant_id` and `created_at`. */
const prefixed = (column: string) => `u_${column}`;

type Context = Parameters<typeof compileFilter>[1];

function statement(db: Kysely<Database>, table: ResourceTable, ctx: Context) {
  return (r: TokenLookupRequest) =>
    db
      .selectFrom('scim_tokens as t')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom(`${table} as r` as 'scim_users as r')
            // The token's own tenant: the one scope a SCIM request may search.
            .whereRef('r.tenant_id', '=', 't.tenant_id')
            .where(compileFilter(r.filter, ctx))
            .select(readColumns(table).map((c) => `r.${c}` as 'r.id'))
            .$if(table === 'scim_users', (b) => b.select(directGroupsColumn().as('direct_groups')))
            .orderBy(sql`r.id asc`)
            .offset(r.offset)
            .limit(r.limit)
            .as('u'),
        (join) => join.onTrue(),
      )
      .selectAll('t')
      .select(domainPolicyColumn())
      .select(readColumnsWithGroups(table).map((c) => sql.ref(`u.${c}`).as(prefixed(c))))
      .where('t.id', '=', r.tokenId)
      .orderBy(sql`u.id asc`) as unknown as Compilable<Record<string, unknown>>;
}

export function tokenWithLookup(
  db: Kysely<Database>,
  q: FixedQueries,
  toTokenWithPolicy: (row: TokenRow) => TokenWithPolicy,
  withoutLookup: (id: string) => Promise<TokenWithPolicy | undefined>,
) {
  return async (
    id: string,
    lookup: FirstPageLookup,
  ): Promise<(TokenWithPolicy & { readonly lookup: Found | null }) | undefined> => {
    const table: ResourceTable = lookup.resourceType === 'User' ? 'scim_users' : 'scim_groups';
    const ctx = { resourceTypeId: lookup.resourceType, dialect: 'postgres', registry: scimRegistry } as const;
    const shape = lookup.count > 0 ? lookupShape(lookup.filter, ctx, table) : undefined;
    // One more row than the page holds tells whether the page is the whole answer (then its length is the total).
    const request = { tokenId: id, filter: lookup.filter, limit: lookup.count + 1, offset: 0 };
    const compiled = shape === undefined ? undefined : compiledLookup(shape, request, statement(db, table, ctx));
    if (!compiled) {
      const token = await withoutLookup(id);
      return token && { ...token, lookup: null };
    }
    const rows = await q.prepared<Record<string, unknown>>(compiled.sql, compiled.parameters);
    const first = rows[0];
    if (!first) return undefined;
    const token = toTokenWithPolicy(first as unknown as TokenRow);
    const found = rows.filter((row) => row[prefixed('id')] !== null);
    if (found.length > lookup.count) return { ...token, lookup: null };
    const columns = readColumnsWithGroups(table);
    const items = found.map((row) => {
      const page = aliasedColumns(row, columns, prefixed);
      return table === 'scim_users'
        ? toUser(page as unknown as ScimUsersTable & { direct_groups: unknown })
        : toGroup(page as unknown as ScimGroupsTable);
    });
    return { ...token, lookup: { total: items.length, items, last: undefined } };
  };
}
