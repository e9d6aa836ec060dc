// SCIM list queries: filter, sortBy, index and cursor paging (RFC 7644 §3.4.2, RFC 9865) over one resource table.
import { type Kysely, type SqlBool, sql } from 'kysely';
import type { CursorPosition, SearchQuery, SearchResult } from '../../core/scim/records.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database } from '../schema.ts';
import { directGroupsColumn, groupsRideAlong } from './direct-groups.ts';
import type { FilterSqlContext } from './filter-attributes.ts';
import { FILTER_DIALECTS } from './filter-dialect.ts';
import { compileFilter } from './filter-sql.ts';
import { compiledLookup, lookupShape } from './lookup-shapes.ts';
import { pageLimit } from './page-limit.ts';
import { type ResourceTable, readColumns } from './rows.ts';
import { compileSort } from './sort-sql.ts';

export async function search<Row, Out>(
  db: Kysely<Database>,
  q: FixedQueries,
  dialect: 'sqlite' | 'postgres',
  table: ResourceTable,
  resourceTypeId: 'User' | 'Group',
  tenantId: string,
  query: SearchQuery,
  map: (row: Row) => Out,
): Promise<SearchResult<Out>> {
  const ctx = { resourceTypeId, dialect, registry: scimRegistry, tenantId } as const;
  const base = () =>
    db
      .selectFrom(`${table} as r` as 'scim_users as r')
      .where('r.tenant_id', '=', tenantId)
      .where(query.filter ? compileFilter(query.filter, ctx) : sql<SqlBool>`1 = 1`);
  const countAll = async () =>
    Number(
      (await q.run<{ n: number | string }>(base().select((eb) => eb.fn.countAll<number | string>().as('n'))))[0]?.n,
    );
  if (query.count === 0) return { total: query.knownTotal ?? (await countAll()), items: [], last: undefined };

  const sortExpr = query.sortBy ? compileSort(query.sortBy, ctx) : undefined;
  const dir = query.descending ? sql`desc` : sql`asc`;
  const page = () => {
    let page = base().select(readColumns(table).map((c) => `r.${c}` as 'r.id'));
    if (query.after) page = page.where(afterCondition(sortExpr, query.after, query.descending, dialect));
    // Ties are broken by id, so the order is total and pages neither repeat nor skip rows.
    page = sortExpr
      ? // RFC 7644 §3.4.2.3: resources without a value sort last when ascending and first when descending.
        page.orderBy(sql`(${sortExpr}) is null ${dir}`).orderBy(sql`${sortExpr} ${dir}`).orderBy(sql`r.id ${dir}`)
      : page.orderBy(sql`r.id ${dir}`);
    const limit = pageLimit(dialect, query.count + 1);
    return query.after ? page.limit(limit) : page.offset(query.startIndex - 1).limit(limit);
  };
  const rows = (await cachedLookup<Row>(db, q, table, ctx, query)) ?? (await q.run<Row>(page()));
  // A first page that is not full holds every match: its length is the total, no count needed (the common
  // `userName eq` lookup is one query).
  const firstAndComplete = !query.after && query.startIndex === 1 && rows.length <= query.count;
  const total = query.knownTotal ?? (firstAndComplete ? rows.length : await countAll());
  const items = rows.slice(0, query.count).map(map);
  const lastRow = rows.length > query.count ? (rows[query.count - 1] as Record<string, unknown>) : undefined;
  let last: CursorPosition | undefined;
  if (lastRow) {
    const key = sortExpr
      ? ((
          await q.run<{ k: string | number | null }>(
            db
              .selectFrom(`${table} as r` as 'scim_users as r')
              .select(sql<string | number | null>`${sortExpr}`.as('k'))
              .where('r.tenant_id', '=', tenantId)
              .where('r.id', '=', lastRow.id as string),
          )
        )[0]?.k ?? null)
      : null;
    last = { key, id: lastRow.id as string };
  }
  return { total, items, last };
}

/**
 * An `attr eq "value"` page (what IdPs send before every create) from its shape's compiled SQL (lookup-shapes.ts),
 * or undefined when the query has another shape: a sort, a cursor, another filter.
 */
async function cachedLookup<Row>(
  db: Kysely<Database>,
  q: FixedQueries,
  table: ResourceTable,
  ctx: FilterSqlContext & { readonly tenantId: string },
  query: SearchQuery,
): Promise<Row[] | undefined> {
  if (!query.filter || query.sortBy || query.after || query.descending) return undefined;
  const shape = lookupShape(query.filter, ctx, table);
  if (shape === undefined) return undefined;
  const compiled = compiledLookup(
    shape,
    { tenantId: ctx.tenantId, filter: query.filter, limit: query.count + 1, offset: query.startIndex - 1 },
    (r) =>
      db
        .selectFrom(`${table} as r` as 'scim_users as r')
        .where('r.tenant_id', '=', r.tenantId)
        .where(compileFilter(r.filter, { ...ctx, tenantId: r.tenantId }))
        .select(readColumns(table).map((c) => `r.${c}` as 'r.id'))
        // On PostgreSQL a user's groups in the same statement (ADR 0045): a lookup is one round trip, as a GET is.
        .$if(table === 'scim_users' && groupsRideAlong(ctx.dialect), (b) =>
          b.select(directGroupsColumn().as('direct_groups')),
        )
        .orderBy(sql`r.id asc`)
        .offset(r.offset)
        .limit(pageLimit(ctx.dialect, r.limit)),
  );
  return compiled ? q.prepared<Row>(compiled.sql, compiled.parameters) : undefined;
}

/**
 * Keyset condition "strictly after (key, id)" in the order (key is null) dir, key dir, id dir: missing values are
 * the last rows ascending and the first rows descending.
 */
function afterCondition(
  sortExpr: ReturnType<typeof compileSort> | undefined,
  after: CursorPosition,
  descending: boolean,
  dialect: 'sqlite' | 'postgres',
) {
  const cmp = descending ? sql`<` : sql`>`;
  if (!sortExpr) return sql<SqlBool>`r.id ${cmp} ${after.id}`;
  if (after.key === null) {
    // Among the missing values by id; descending, every row with a value still follows.
    return descending
      ? sql<SqlBool>`((${sortExpr}) is not null or r.id < ${after.id})`
      : sql<SqlBool>`((${sortExpr}) is null and r.id > ${after.id})`;
  }
  const key = typeof after.key === 'number' ? sql`${after.key}` : FILTER_DIALECTS[dialect].cursorText(after.key);
  const later = sql<SqlBool>`((${sortExpr}) ${cmp} ${key} or ((${sortExpr}) = ${key} and r.id ${cmp} ${after.id}))`;
  return descending ? later : sql<SqlBool>`((${sortExpr}) is null or ${later})`;
}
