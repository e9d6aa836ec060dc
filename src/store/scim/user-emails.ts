// The rows of scim_user_emails (migration 0009, ADR 0023): a user's distinct folded emails[].value, written with the
// user in its transaction, and only when that set changes, so a write that leaves the emails alone costs nothing.
import { type Kysely, sql } from 'kysely';
import type { ResourceData, StoredUser } from '../../core/scim/records.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, ScimUsersTable } from '../schema.ts';
import { toSearchDocument } from './search-document.ts';

/**
 * The values `emails.value eq` compares: the string `value` of each object element of the `emails` array in the
 * `search` document (normalised by the same code, so folded with foldCase as caseExact=false asks), each once.
 */
export function emailKeys(data: ResourceData): ReadonlySet<string> {
  const keys = new Set<string>();
  if (!Array.isArray(data.emails) || data.emails.length === 0) return keys;
  const emails = toSearchDocument({ emails: data.emails }, 'User', scimRegistry).emails as unknown[];
  for (const e of emails) {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) continue;
    const value = (e as Record<string, unknown>).value;
    if (typeof value === 'string') keys.add(value);
  }
  return keys;
}

/** Whether two users' raw `emails` can be told equal without folding (the common PATCH/PUT that leaves them). */
function sameRawEmails(a: ResourceData, b: ResourceData): boolean {
  if (a.emails === b.emails) return true;
  return JSON.stringify(a.emails) === JSON.stringify(b.emails);
}

export function createUserEmails(db: Kysely<Database>, q: FixedQueries) {
  const add = async (tenantId: string, userId: string, keys: readonly string[]) => {
    if (keys.length === 0) return;
    // One statement per list length (users have one to a few emails), compiled once each.
    await q.write(
      `scim_user_emails.insert.${keys.length}`,
      (p) =>
        db
          .insertInto('scim_user_emails')
          .values(p.each('keys').map((value_key) => ({ tenant_id: p('tenantId'), value_key, user_id: p('userId') }))),
      { tenantId, userId, keys },
    );
  };
  const remove = async (tenantId: string, userId: string, keys: readonly string[]) => {
    if (keys.length === 0) return;
    // By the primary key (tenant_id, value_key, user_id): the caller knows the user's stored emails.
    await q.write(
      `scim_user_emails.delete.${keys.length}`,
      (p) =>
        db
          .deleteFrom('scim_user_emails')
          .where('tenant_id', '=', p('tenantId'))
          .where('value_key', 'in', p.each('keys'))
          .where('user_id', '=', p('userId')),
      { tenantId, userId, keys },
    );
  };
  return {
    inserted: (user: StoredUser, keys = emailKeys(user.data)) => add(user.tenantId, user.id, [...keys]),
    /**
     * PostgreSQL: the user's row and its email rows in one statement (a data-modifying CTE), so a create pays no
     * extra round trip. A unique violation can only be the user's (its email keys are distinct and its id new).
     */
    insertWithUser: (row: ScimUsersTable, keys: readonly string[]) =>
      q.write(
        `scim_users.insert.withEmails.${keys.length}`,
        (p) =>
          db
            .with('u', (w) => w.insertInto('scim_users').values(p.fields(row)).returning(['tenant_id', 'id']))
            .insertInto('scim_user_emails')
            .columns(['tenant_id', 'value_key', 'user_id'])
            .expression(
              sql`select u.tenant_id, k.v, u.id from u cross join (values ${sql.join(
                p.each('keys').map((key) => sql`(${key})`),
              )}) as k(v)`,
            ),
        { ...row, keys },
      ),
    /** `before` is the stored user `after` replaced (read under the write's lock, at the expected version). */
    async updated(before: StoredUser, after: StoredUser) {
      if (sameRawEmails(before.data, after.data)) return;
      const was = emailKeys(before.data);
      const now = emailKeys(after.data);
      await remove(
        after.tenantId,
        after.id,
        [...was].filter((k) => !now.has(k)),
      );
      await add(
        after.tenantId,
        after.id,
        [...now].filter((k) => !was.has(k)),
      );
    },
    deleted: (user: StoredUser) => remove(user.tenantId, user.id, [...emailKeys(user.data)]),
  };
}
