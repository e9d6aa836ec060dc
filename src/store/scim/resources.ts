// The parts of SCIM users and groups that share one shape: a row per resource, its unique keys, versioned updates.
import { type Kysely, sql } from 'kysely';
import { DomainError } from '../../core/errors.ts';
import type { RowLock } from '../../core/scim/ports.ts';
import type { SearchQuery, StoredGroup, StoredUser } from '../../core/scim/records.ts';
import type { FixedQueries, Param } from '../fixed-queries.ts';
import type { Database, ScimUsersTable } from '../schema.ts';
import { type ResourceTable, readColumns } from './rows.ts';
import { search } from './search.ts';

/**
 * The key of the transaction-scoped advisory lock every writer of one resource takes on PostgreSQL before any
 * statement gives its transaction an xid (ADR 0018): `pg_advisory_xact_lock(hashtextextended(key, 0))`.
 */
export const writerLockKey = (table: ResourceTable, tenantId: string, id: string) => `${table}/${tenantId}/${id}`;

export interface ScimDialect {
  readonly dialect: 'sqlite' | 'postgres';
  isUniqueViolation(error: unknown): boolean;
}

/** The 409 a user write answers when its userName is another user's in the tenant (both write paths). */
export const USER_NAME_CONFLICT = 'userName is already in use in this tenant';

/** A unique-key violation as SCIM's 409 `uniqueness` with `message`; any other error rethrown as it is. */
export function throwAsUniqueness(
  isUniqueViolation: (error: unknown) => boolean,
  error: unknown,
  message: string,
): never {
  if (isUniqueViolation(error)) throw new DomainError('scim.uniqueness', message);
  throw error;
}

export interface ResourceTableSpec<Row, Rec> {
  readonly table: ResourceTable;
  readonly type: 'User' | 'Group';
  readonly toRow: (record: Rec) => Row;
  readonly fromRow: (row: Row) => Rec;
  readonly conflict: string;
}

/**
 * One resource table: unique keys mapped to 409 uniqueness, optimistic versioned updates, and deletion that also
 * drops the resource's memberships in other groups.
 */
export function resourceTable<Row extends { tenant_id: string; id: string }, Rec extends StoredUser | StoredGroup>(
  db: Kysely<Database>,
  q: FixedQueries,
  d: ScimDialect,
  spec: ResourceTableSpec<Row, Rec>,
) {
  const uniqueness = (error: unknown, message: string) => throwAsUniqueness(d.isUniqueViolation, error, message);
  const lockable = d.dialect === 'postgres';
  // Kysely cannot type a table chosen at run time; both tables share the columns used here.
  const table = spec.table as 'scim_users';
  return {
    async insert(record: Rec) {
      const row = spec.toRow(record) as unknown as ScimUsersTable;
      try {
        // Rows of one table always have the same columns, so the statement is compiled once (fixed query).
        await q.write(`${table}.insert`, (p) => db.insertInto(table).values(p.fields(row)), row);
      } catch (error) {
        uniqueness(error, spec.conflict);
      }
    },
    async get(tenantId: string, id: string, options?: { lock?: RowLock }) {
      const key = { tenantId, id };
      const select = (p: Param<typeof key>) =>
        db
          .selectFrom(table)
          .select(readColumns(spec.table) as unknown as 'id'[])
          .where('tenant_id', '=', p('tenantId'))
          .where('id', '=', p('id'));
      if (options?.lock !== undefined && lockable) {
        // Writers of one resource queue here first, before any statement gives the transaction its id (xid): a
        // row lock can assign the waiter's xid before it waits, and the event feed orders by xid (ADR 0018). A
        // transaction-scoped advisory lock assigns none, so a later writer's xid is taken after the earlier commit.
        await sql`select pg_advisory_xact_lock(hashtextextended(${writerLockKey(spec.table, tenantId, id)}, 0))`.execute(
          db,
        );
      }
      const row =
        options?.lock === 'delete' && lockable
          ? await q.first<Row, typeof key>(`${table}.get.lockForDelete`, (p) => select(p).forUpdate(), key)
          : options?.lock === 'update' && lockable
            ? await q.first<Row, typeof key>(`${table}.get.lock`, (p) => select(p).forNoKeyUpdate(), key)
            : await q.first<Row, typeof key>(`${table}.get`, select, key);
      return row === undefined ? undefined : spec.fromRow(row);
    },
    async update(record: Rec, expectedVersion: number) {
      const { tenant_id, id, created_at, created_by_token, provider, ...changes } = spec.toRow(
        record,
      ) as unknown as ScimUsersTable;
      try {
        const updated = await q.writeCount(
          `${table}.update`,
          (p) =>
            db
              .updateTable(table)
              .set(p.fields(changes))
              .where('tenant_id', '=', p('tenant_id'))
              .where('id', '=', p('id'))
              .where('version', '=', p('expectedVersion')),
          { ...changes, tenant_id, id, expectedVersion },
        );
        return updated === 1;
      } catch (error) {
        return uniqueness(error, spec.conflict);
      }
    },
    async delete(tenantId: string, id: string) {
      // Its memberships in groups go with it (a group's own member rows cascade from the group row).
      await db.deleteFrom('scim_group_members').where('tenant_id', '=', tenantId).where('member_id', '=', id).execute();
      const r = await db.deleteFrom(table).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    },
    search: (tenantId: string, query: SearchQuery) =>
      search<Row, Rec>(db, q, d.dialect, spec.table, spec.type, tenantId, query, spec.fromRow),
  };
}
