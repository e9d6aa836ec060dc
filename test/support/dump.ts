// Every row of every table as text: what an attacker holding a database dump would see.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import type { TestStore } from './stores.ts';

export async function dumpDatabase(t: TestStore): Promise<string> {
  const db = t.store.db;
  const tables =
    t.location.kind === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map(
          (r) => r.name,
        )
      : (
          await sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(db)
        ).rows.map((r) => r.name);
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await sql`select * from ${sql.table(table)}`.execute(db);
    parts.push(`${table}: ${JSON.stringify(rows.rows)}`);
  }
  return parts.join('\n');
}

/** Tables without a tenant_id column, each placed explicitly: a new one fails tenantDump until it is classified. */
const NOT_TENANT_OWNED: Record<string, 'global'> = {
  operator_tokens: 'global',
  operator_branding: 'global',
  // One row: the feed position up to which retention has pruned events (of every tenant).
  event_prune_mark: 'global',
  kysely_migration: 'global',
  kysely_migration_lock: 'global',
  // One row: how far the webhook fan-out has read the operator feed (of every tenant).
  webhook_dispatch: 'global',
  // Vendor-wide apps and the operator's audit trail of them (ADR 0044): the operator's, of no tenant.
  operator_oidc_clients: 'global',
  operator_audit_events: 'global',
  // One row: how far SCIM-alone activation has read the committed feed (of every tenant, ADR 0040).
  credential_activation_cursor: 'global',
};

/** Tables without a tenant_id whose rows belong to a tenant through a parent row that has one. */
const OWNED_THROUGH: Record<string, { readonly column: string; readonly parent: string }> = {
  // A delivery attempt belongs to its delivery, which carries its event's tenant.
  webhook_attempts: { column: 'delivery_id', parent: 'webhook_deliveries' },
};

type Db = Kysely<Database>;

async function tablesAndColumns(db: Db, kind: 'sqlite' | 'postgres'): Promise<Map<string, string[]>> {
  const rows =
    kind === 'sqlite'
      ? (
          await sql<{ table: string; column: string }>`
            select m.name as "table", c.name as "column" from sqlite_master m, pragma_table_info(m.name) c
            where m.type = 'table' and m.name not like 'sqlite_%' order by m.name, c.cid`.execute(db)
        ).rows
      : (
          await sql<{ table: string; column: string }>`
            select table_name as "table", column_name as "column" from information_schema.columns
            where table_schema = 'public' order by table_name, ordinal_position`.execute(db)
        ).rows;
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.table, [...(out.get(r.table) ?? []), r.column]);
  return out;
}

/** A cell as text, exactly as stored: strings and numbers as they are, blobs as hex. */
function cell(value: unknown): unknown {
  if (value instanceof Uint8Array) return `x'${Buffer.from(value).toString('hex')}'`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Every row that belongs to `tenantId`, table by table, sorted: on PostgreSQL each row's own text form
 * (`row::text`, byte for byte what the server stores), on SQLite each column's stored value. Tenant rows are found
 * by `tenant_id` (every tenant-owned table carries it, including rows tied to a tenant only through foreign keys
 * such as group members); `tenants` by its id; tables in OWNED_THROUGH through their parent row. Tables with none of
 * these must be listed in NOT_TENANT_OWNED.
 */
export async function dumpTenant(
  db: Db,
  kind: 'sqlite' | 'postgres',
  tenantId: string,
): Promise<{ tables: Record<string, string[]>; rows: number }> {
  const tables: Record<string, string[]> = {};
  let count = 0;
  for (const [table, columns] of await tablesAndColumns(db, kind)) {
    if (table === 'rate_limit_buckets') {
      // Keyed by tenant id or SCIM token id, not by a tenant_id column: B's rows are its tenant's and its tokens'.
      const rows = (
        await sql<{ r: string }>`select b::text as r from rate_limit_buckets b
          where (b.scope = 'tenant' and b.key = ${tenantId})
             or (b.scope = 'token' and b.key in (select id from scim_tokens where tenant_id = ${tenantId}))`.execute(db)
      ).rows
        .map((r) => r.r)
        .sort();
      tables[table] = rows;
      count += rows.length;
      continue;
    }
    const through = OWNED_THROUGH[table];
    if (through !== undefined) {
      const owned = sql`${sql.ref(through.column)} in (select id from ${sql.table(through.parent)} where tenant_id = ${tenantId})`;
      const rows = (
        kind === 'postgres'
          ? (
              await sql<{
                r: string;
              }>`select ${sql.table(table)}::text as r from ${sql.table(table)} where ${owned}`.execute(db)
            ).rows.map((r) => r.r)
          : (await sql<Record<string, unknown>>`select * from ${sql.table(table)} where ${owned}`.execute(db)).rows.map(
              (r) => JSON.stringify(columns.map((c) => cell(r[c]))),
            )
      ).sort();
      tables[table] = rows;
      count += rows.length;
      continue;
    }
    const key = columns.includes('tenant_id') ? 'tenant_id' : table === 'tenants' ? 'id' : undefined;
    if (key === undefined) {
      if (NOT_TENANT_OWNED[table] === undefined)
        throw new Error(`table ${table} has no tenant_id: classify it in test/support/dump.ts`);
      continue;
    }
    let rows: string[];
    if (kind === 'postgres') {
      rows = (
        await sql<{
          r: string;
        }>`select ${sql.table(table)}::text as r from ${sql.table(table)} where ${sql.ref(key)} = ${tenantId}`.execute(
          db,
        )
      ).rows.map((r) => r.r);
    } else {
      rows = (
        await sql<
          Record<string, unknown>
        >`select * from ${sql.table(table)} where ${sql.ref(key)} = ${tenantId}`.execute(db)
      ).rows.map((r) => JSON.stringify(columns.map((c) => cell(r[c]))));
    }
    rows.sort();
    tables[table] = rows;
    count += rows.length;
  }
  return { tables, rows: count };
}

/** Rows of the tables that belong to no tenant (operator tokens, migrations). */
export async function dumpGlobal(db: Db, kind: 'sqlite' | 'postgres'): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of (await tablesAndColumns(db, kind)).keys()) {
    if (NOT_TENANT_OWNED[table] === undefined) continue;
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
    out[table] = rows.map((r) => JSON.stringify(Object.values(r).map(cell))).sort();
  }
  return out;
}
