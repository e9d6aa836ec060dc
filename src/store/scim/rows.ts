// Stored rows ↔ SCIM records: the columns reads fetch, the columns writes set, and binding lists in chunks.
import type { ResourceData, StoredGroup, StoredUser } from '../../core/scim/records.ts';
import { withStoredText } from '../../core/scim/records.ts';
import { foldCase, userNameKey } from '../../scim/resource/normalize.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import type { JsonColumn, ScimGroupsTable, ScimUsersTable } from '../schema.ts';
import { parseDirectGroups } from './direct-groups.ts';
import { toSearchDocument } from './search-document.ts';

export type ResourceTable = 'scim_users' | 'scim_groups';

export function parseJson(value: JsonColumn): ResourceData {
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

export function toGroup(row: ScimGroupsTable | ScimUsersTable): StoredGroup {
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
export const readColumns = (table: ResourceTable) => (table === 'scim_users' ? USER_COLUMNS : GROUP_COLUMNS);

const USER_COLUMNS_WITH_GROUPS: readonly string[] = [...USER_COLUMNS, 'direct_groups'];

/** The read columns of a row read beside a SCIM token: for users with their direct groups too (ADR 0045). */
export const readColumnsWithGroups = (table: ResourceTable): readonly string[] =>
  table === 'scim_users' ? USER_COLUMNS_WITH_GROUPS : GROUP_COLUMNS;

/** From a row that carries another table's `columns` under aliases (a join), those columns under their own names. */
export function aliasedColumns(
  row: Record<string, unknown>,
  columns: readonly string[],
  alias: (column: string) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c] = row[alias(c)];
  return out;
}

/** A user row; with `direct_groups` (direct-groups.ts) when the read fetched the groups in the same statement. */
export function toUser(row: ScimUsersTable & { direct_groups?: unknown }): StoredUser {
  const extra = { passwordHash: row.password_hash };
  if (row.direct_groups === undefined) return toRecord<StoredUser>(row, extra);
  return toRecord<StoredUser>(row, { ...extra, directGroups: parseDirectGroups(row.direct_groups) });
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

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function userRow(u: StoredUser): ScimUsersTable {
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

export function groupRow(g: StoredGroup): ScimGroupsTable {
  const displayName = str(g.data.displayName) ?? '';
  return {
    ...sharedColumns(g, 'Group'),
    display_name: displayName,
    display_name_key: foldCase(displayName),
    external_id: str(g.data.externalId),
  };
}

/** Bind lists in chunks: SQLite caps bound parameters per statement. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
