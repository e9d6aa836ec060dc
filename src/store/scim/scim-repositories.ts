// SCIM users, groups, memberships and the provisioning log on Kysely. Every statement is tenant-scoped.
import { type Kysely, type SqlBool, sql } from 'kysely';
import { DomainError } from '../../core/errors.ts';
import type { RowLock, ScimRepositories } from '../../core/scim/ports.ts';
import type {
  CursorPosition,
  GroupRef,
  MemberRef,
  MemberView,
  ResourceData,
  ScimLogEntry,
  SearchQuery,
  SearchResult,
  StoredGroup,
  StoredUser,
} from '../../core/scim/records.ts';
import { withStoredText } from '../../core/scim/records.ts';
import { scimErrors } from '../../scim/errors.ts';
import { evaluateValueFilter } from '../../scim/filter/evaluate.ts';
import { foldCase, userNameKey } from '../../scim/resource/normalize.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import { type FixedQueries, fixedQueries } from '../fixed-queries.ts';
import type { Database, JsonColumn, ScimGroupsTable, ScimUsersTable } from '../schema.ts';
import { compileFilter, compileSort } from './filter-sql.ts';
import { toSearchDocument } from './search-document.ts';

export interface ScimDialect {
  readonly dialect: 'sqlite' | 'postgres';
  isUniqueViolation(error: unknown): boolean;
}

function parseJson(value: JsonColumn): ResourceData {
  return typeof value === 'string' ? (JSON.parse(value) as ResourceData) : value;
}

/**
 * A stored row → its record. `data` is parsed on first use: a list rendered from the stored text (SQLite keeps
 * it verbatim) never needs the parsed object.
 */
function toRecord<T extends StoredGroup>(row: ScimGroupsTable | ScimUsersTable, extra: Omit<T, keyof StoredGroup>): T {
  const raw = row.data;
  let parsed: ResourceData | undefined = typeof raw === 'string' ? undefined : raw;
  const record = {
    tenantId: row.tenant_id,
    id: row.id,
    get data(): ResourceData {
      parsed ??= parseJson(raw);
      return parsed;
    },
    version: row.version,
    createdAt: row.created_at,
    lastModified: row.last_modified,
    createdByToken: row.created_by_token,
    provider: row.provider,
    ...extra,
  } as T;
  return typeof raw === 'string' ? withStoredText(record, raw) : record;
}

function toGroup(row: ScimGroupsTable | ScimUsersTable): StoredGroup {
  return toRecord<StoredGroup>(row, {});
}

/** What reads fetch: everything but `search` (the folded copy filters use, often the largest column). */
const GROUP_COLUMNS = [
  'tenant_id',
  'id',
  'data',
  'version',
  'created_at',
  'last_modified',
  'created_by_token',
  'provider',
] as const;
const USER_COLUMNS = [...GROUP_COLUMNS, 'password_hash'] as const;
const readColumns = (table: ResourceTable) => (table === 'scim_users' ? USER_COLUMNS : GROUP_COLUMNS);

function toUser(row: ScimUsersTable): StoredUser {
  return toRecord<StoredUser>(row, { passwordHash: row.password_hash });
}

function sharedColumns(r: StoredGroup, resourceTypeId: 'User' | 'Group') {
  return {
    tenant_id: r.tenantId,
    id: r.id,
    data: JSON.stringify(r.data),
    search: JSON.stringify(toSearchDocument(r.data, resourceTypeId, scimRegistry)),
    version: r.version,
    created_at: r.createdAt,
    last_modified: r.lastModified,
    created_by_token: r.createdByToken,
    provider: r.provider,
  };
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function userRow(u: StoredUser): ScimUsersTable {
  const userName = str(u.data.userName) ?? '';
  return {
    ...sharedColumns(u, 'User'),
    user_name: userName,
    user_name_key: userNameKey(userName),
    external_id: str(u.data.externalId),
    // A subject is active unless the IdP said `active: false` (the login path reads this column).
    active: u.data.active === false ? 0 : 1,
    password_hash: u.passwordHash,
  };
}

function groupRow(g: StoredGroup): ScimGroupsTable {
  const displayName = str(g.data.displayName) ?? '';
  return {
    ...sharedColumns(g, 'Group'),
    display_name: displayName,
    display_name_key: foldCase(displayName),
    external_id: str(g.data.externalId),
  };
}

/**
 * A row's values in column order, as a fixed query binds them. The builder leaves undefined columns out, which
 * would change the statement's shape: rows here never have one, and one that did would be a bug, not a variant.
 */
function fixedShape(row: object): unknown[] {
  const values = Object.values(row);
  if (values.includes(undefined)) throw new Error('a stored row has an undefined column');
  return values;
}

function logRow(e: ScimLogEntry) {
  return {
    id: e.id,
    tenant_id: e.tenantId,
    at: e.at,
    token_id: e.tokenId,
    method: e.method,
    path: e.path,
    operation: e.operation,
    resource_type: e.resourceType,
    resource_id: e.resourceId,
    status: e.status,
    scim_type: e.scimType,
    duration_ms: e.durationMs,
    summary: JSON.stringify(e.summary),
  };
}

/** Bind lists in chunks: SQLite caps bound parameters per statement. */
function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type ResourceTable = 'scim_users' | 'scim_groups';

async function search<Row, Out>(
  db: Kysely<Database>,
  q: FixedQueries,
  d: ScimDialect,
  table: ResourceTable,
  resourceTypeId: 'User' | 'Group',
  tenantId: string,
  query: SearchQuery,
  map: (row: Row) => Out,
): Promise<SearchResult<Out>> {
  const ctx = { resourceTypeId, dialect: d.dialect, registry: scimRegistry } as const;
  const where = query.filter ? compileFilter(query.filter, ctx) : sql<SqlBool>`1 = 1`;
  const base = db
    .selectFrom(`${table} as r` as 'scim_users as r')
    .where('r.tenant_id', '=', tenantId)
    .where(where);
  const countAll = async () =>
    Number((await q.run<{ n: number | string }>(base.select((eb) => eb.fn.countAll<number | string>().as('n'))))[0]?.n);
  if (query.count === 0) return { total: query.knownTotal ?? (await countAll()), items: [], last: undefined };

  const sortExpr = query.sortBy ? compileSort(query.sortBy, ctx) : undefined;
  const dir = query.descending ? sql`desc` : sql`asc`;
  let page = base.select(readColumns(table).map((c) => `r.${c}` as 'r.id'));
  if (query.after) page = page.where(afterCondition(sortExpr, query.after, query.descending, d.dialect));
  // Ties are broken by id, so the order is total and pages neither repeat nor skip rows.
  page = sortExpr
    ? // RFC 7644 §3.4.2.3: resources without a value sort last when ascending and first when descending.
      page.orderBy(sql`(${sortExpr}) is null ${dir}`).orderBy(sql`${sortExpr} ${dir}`).orderBy(sql`r.id ${dir}`)
    : page.orderBy(sql`r.id ${dir}`);
  const rows = await q.run<Row>(
    query.after ? page.limit(query.count + 1) : page.offset(query.startIndex - 1).limit(query.count + 1),
  );
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
  const key = typeof after.key === 'number' || dialect === 'sqlite' ? sql`${after.key}` : sql`${after.key} collate "C"`;
  const later = sql<SqlBool>`((${sortExpr}) ${cmp} ${key} or ((${sortExpr}) = ${key} and r.id ${cmp} ${after.id}))`;
  return descending ? later : sql<SqlBool>`((${sortExpr}) is null or ${later})`;
}

export function createScimRepositories(
  db: Kysely<Database>,
  d: ScimDialect,
  q: FixedQueries = fixedQueries(db, d.dialect, undefined),
): ScimRepositories {
  const uniqueness = (error: unknown, message: string) => {
    if (d.isUniqueViolation(error)) throw new DomainError('scim.uniqueness', message);
    throw error;
  };
  const lockable = d.dialect === 'postgres';

  /**
   * The parts users and groups share: one row per resource, unique keys mapped to 409 uniqueness, optimistic
   * versioned updates, and deletion that also drops the resource's memberships in other groups.
   */
  function resourceTable<Row extends { tenant_id: string; id: string }, Rec extends StoredUser | StoredGroup>(spec: {
    table: ResourceTable;
    type: 'User' | 'Group';
    toRow: (record: Rec) => Row;
    fromRow: (row: Row) => Rec;
    conflict: string;
  }) {
    // Kysely cannot type a table chosen at run time; both tables share the columns used here.
    const table = spec.table as 'scim_users';
    return {
      async insert(record: Rec) {
        const row = spec.toRow(record) as unknown as ScimUsersTable;
        try {
          // Rows of one table always have the same columns, so the statement is compiled once (fixed query).
          await q.write(`${table}.insert`, () => db.insertInto(table).values(row), fixedShape(row));
        } catch (error) {
          uniqueness(error, spec.conflict);
        }
      },
      async get(tenantId: string, id: string, options?: { lock?: RowLock }) {
        const select = () =>
          db
            .selectFrom(table)
            .select(readColumns(spec.table) as unknown as 'id'[])
            .where('tenant_id', '=', tenantId)
            .where('id', '=', id);
        const row =
          options?.lock === 'delete' && lockable
            ? await q.first<Row>(`${table}.get.lockForDelete`, () => select().forUpdate(), [tenantId, id])
            : options?.lock === 'update' && lockable
              ? await q.first<Row>(`${table}.get.lock`, () => select().forNoKeyUpdate(), [tenantId, id])
              : await q.first<Row>(`${table}.get`, select, [tenantId, id]);
        return row === undefined ? undefined : spec.fromRow(row);
      },
      async update(record: Rec, expectedVersion: number) {
        const { tenant_id, id, created_at, created_by_token, provider, ...changes } = spec.toRow(
          record,
        ) as unknown as ScimUsersTable;
        try {
          const updated = await q.writeCount(
            `${table}.update`,
            () =>
              db
                .updateTable(table)
                .set(changes)
                .where('tenant_id', '=', tenant_id)
                .where('id', '=', id)
                .where('version', '=', expectedVersion),
            [...fixedShape(changes), tenant_id, id, expectedVersion],
          );
          return updated === 1;
        } catch (error) {
          return uniqueness(error, spec.conflict);
        }
      },
      async delete(tenantId: string, id: string) {
        // Its memberships in groups go with it (a group's own member rows cascade from the group row).
        await db
          .deleteFrom('scim_group_members')
          .where('tenant_id', '=', tenantId)
          .where('member_id', '=', id)
          .execute();
        const r = await db.deleteFrom(table).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
        return Number(r.numDeletedRows) === 1;
      },
      search: (tenantId: string, query: SearchQuery) =>
        search<Row, Rec>(db, q, d, spec.table, spec.type, tenantId, query, spec.fromRow),
    };
  }

  return {
    users: {
      ...resourceTable({
        table: 'scim_users',
        type: 'User',
        toRow: userRow,
        fromRow: toUser,
        conflict: 'userName is already in use in this tenant',
      }),
      async findByUserName(tenantId, userName) {
        const row = await db
          .selectFrom('scim_users')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('user_name_key', '=', userNameKey(userName))
          .executeTakeFirst();
        return row && toUser(row);
      },
      async findByExternalId(tenantId, externalId, limit) {
        const rows = await db
          .selectFrom('scim_users')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('external_id', '=', externalId)
          .orderBy('id')
          .limit(limit)
          .execute();
        return rows.map(toUser);
      },
      async groupsOf(tenantId, userIds) {
        const out = new Map<string, GroupRef[]>();
        for (const part of chunks(userIds)) {
          if (part.length === 0) continue;
          const rows = await q.all<{ member_id: string; id: string; display_name: string }>(
            `groupsOf.${part.length}`,
            () =>
              db
                .selectFrom('scim_group_members as m')
                .innerJoin('scim_groups as g', (j) =>
                  j.onRef('g.tenant_id', '=', 'm.tenant_id').onRef('g.id', '=', 'm.group_id'),
                )
                .select(['m.member_id', 'g.id', 'g.display_name'])
                .where('m.tenant_id', '=', tenantId)
                .where('m.member_id', 'in', part)
                .orderBy('g.id'),
            [tenantId, ...part],
          );
          for (const row of rows) {
            const list = out.get(row.member_id) ?? [];
            list.push({ value: row.id, display: row.display_name });
            out.set(row.member_id, list);
          }
        }
        return out;
      },
    },
    sessions: {
      async revoke(tenantId, userId) {
        const r = await db
          .deleteFrom('oidc_payloads')
          .where('tenant_id', '=', tenantId)
          .where('account_id', '=', userId)
          .executeTakeFirst();
        return Number(r.numDeletedRows);
      },
    },
    groups: {
      ...resourceTable({
        table: 'scim_groups',
        type: 'Group',
        toRow: groupRow,
        fromRow: toGroup,
        conflict: 'a group with this displayName already exists in this tenant',
      }),
      async members(tenantId, groupId) {
        const rows = await db
          .selectFrom('scim_group_members as m')
          .leftJoin('scim_users as u', (j) =>
            j.onRef('u.tenant_id', '=', 'm.tenant_id').onRef('u.id', '=', 'm.member_id'),
          )
          .leftJoin('scim_groups as g', (j) =>
            j.onRef('g.tenant_id', '=', 'm.tenant_id').onRef('g.id', '=', 'm.member_id'),
          )
          .select(['m.member_id', 'm.member_type', 'u.data as user_data', 'u.user_name', 'g.display_name'])
          .where('m.tenant_id', '=', tenantId)
          .where('m.group_id', '=', groupId)
          .orderBy('m.member_id')
          .execute();
        return rows.map((row): MemberView => {
          const userDisplay = row.user_data ? str(parseJson(row.user_data).displayName) : null;
          return {
            value: row.member_id,
            type: row.member_type === 'Group' ? 'Group' : 'User',
            display: (row.member_type === 'Group' ? row.display_name : (userDisplay ?? row.user_name)) ?? undefined,
          };
        });
      },
      async resolveMembers(tenantId, ids, options) {
        const out = new Map<string, MemberRef['type']>();
        const share = options?.lock === true && lockable;
        for (const part of chunks([...new Set(ids)])) {
          if (part.length === 0) continue;
          const userQuery = db
            .selectFrom('scim_users')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('id', 'in', part);
          const users = await (share ? userQuery.forKeyShare() : userQuery).execute();
          for (const u of users) out.set(u.id, 'User');
          const groupQuery = db
            .selectFrom('scim_groups')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('id', 'in', part);
          const groups = await (share ? groupQuery.forKeyShare() : groupQuery).execute();
          for (const g of groups) out.set(g.id, 'Group');
        }
        return out;
      },
      async applyMemberChanges(tenantId, groupId, changes) {
        const deleteMembers = async (ids: readonly string[]) => {
          for (const part of chunks(ids)) {
            await db
              .deleteFrom('scim_group_members')
              .where('tenant_id', '=', tenantId)
              .where('group_id', '=', groupId)
              .where('member_id', 'in', part)
              .execute();
          }
        };
        for (const change of changes) {
          switch (change.kind) {
            case 'removeAll':
              await db
                .deleteFrom('scim_group_members')
                .where('tenant_id', '=', tenantId)
                .where('group_id', '=', groupId)
                .execute();
              break;
            case 'remove':
              await deleteMembers(change.values);
              break;
            case 'removeWhere': {
              // Rare shape (IdPs remove by `members[value eq "…"]`, which arrives as 'remove'): evaluated against
              // the member rows with the reference evaluator, so any member filter works; cost is O(members).
              const membersDef = scimRegistry.resolve('Group', { attribute: 'members' })?.attribute;
              if (!membersDef) throw scimErrors.invalidPath('members is not an attribute of Group');
              const doomed = (await this.members(tenantId, groupId))
                .filter((m) =>
                  evaluateValueFilter(change.filter, { value: m.value, type: m.type, display: m.display }, membersDef),
                )
                .map((m) => m.value);
              await deleteMembers(doomed);
              break;
            }
            case 'add': {
              const ids = [...new Set(change.members.map((m) => m.value))];
              const kinds = await this.resolveMembers(tenantId, ids);
              for (const part of chunks(ids, 300)) {
                const values = part.map((id) => ({
                  tenant_id: tenantId,
                  group_id: groupId,
                  member_id: id,
                  member_type: kinds.get(id) ?? 'User',
                }));
                // Set semantics: re-adding a present member keeps a single membership.
                await db
                  .insertInto('scim_group_members')
                  .values(values)
                  .onConflict((oc) => oc.columns(['tenant_id', 'group_id', 'member_id']).doNothing())
                  .execute();
              }
              break;
            }
          }
        }
      },
    },
    scimLog: {
      async appendMany(entries) {
        // Multi-row inserts: one statement per 50 entries (13 parameters each stays under SQLite's oldest cap of
        // 999), so a flush costs a few round trips on PostgreSQL instead of one per request logged.
        for (const part of chunks(entries, 50)) {
          if (part.length > 0) await db.insertInto('scim_log').values(part.map(logRow)).execute();
        }
      },
      async list(tenantId, q) {
        let query = db.selectFrom('scim_log').selectAll().where('tenant_id', '=', tenantId);
        if (q.since !== undefined) query = query.where('at', '>=', q.since);
        if (q.until !== undefined) query = query.where('at', '<', q.until);
        if (q.status !== undefined) query = query.where('status', '=', q.status);
        if (q.outcome === 'success') query = query.where('status', '<', 400);
        if (q.outcome === 'failure') query = query.where('status', '>=', 400);
        if (q.resourceId !== undefined) query = query.where('resource_id', '=', q.resourceId);
        if (q.operation !== undefined) query = query.where('operation', '=', q.operation);
        if (q.before !== undefined) query = query.where('id', '<', q.before);
        const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
        return rows.map((r) => ({
          id: r.id,
          tenantId: r.tenant_id,
          at: r.at,
          tokenId: r.token_id,
          method: r.method,
          path: r.path,
          operation: r.operation,
          resourceType: r.resource_type,
          resourceId: r.resource_id,
          status: r.status,
          scimType: r.scim_type,
          durationMs: r.duration_ms,
          summary: JSON.parse(r.summary),
        }));
      },
      async purgeBefore(at) {
        const r = await db.deleteFrom('scim_log').where('at', '<', at).executeTakeFirst();
        return Number(r.numDeletedRows);
      },
    },
  };
}
