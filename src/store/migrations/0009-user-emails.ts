// Users by email without walking the tenant (ADR 0023): one row per (tenant, folded emails[].value, user), written
// by the SCIM store's own user writes (src/store/scim/user-emails.ts) only when a user's emails change. The filter
// compiler and the directory API search it for `emails.value eq` and `emails[type eq …].value eq`.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  // The primary key is the lookup index (tenant_id, value_key, user_id); SQLite keeps the table as that key alone
  // (WITHOUT ROWID), so a row costs one b-tree insert. Tenant deletion cascades like scim_users; a user's rows are
  // deleted by the store with the user, found by their keys (no second index on user_id to pay on every insert).
  await sql`create table scim_user_emails (
    tenant_id text not null references tenants (id) on delete cascade,
    value_key text not null,
    user_id text not null,
    constraint scim_user_emails_pk primary key (tenant_id, value_key, user_id)
  ) ${ctx.dialect === 'sqlite' ? sql`without rowid` : sql``}`.execute(db);

  // Backfill from the `search` document, the very values `emails.value eq` compares today (folded with foldCase
  // when the row was written): string values of object elements of an `emails` array, each distinct once.
  if (ctx.dialect === 'sqlite') {
    await sql`insert or ignore into scim_user_emails (tenant_id, value_key, user_id)
      select u.tenant_id, json_extract(e.value, '$.value'), u.id
      from scim_users as u, json_each(u.search, '$.emails') as e
      where json_type(u.search, '$.emails') = 'array' and e.type = 'object'
        and json_type(e.value, '$.value') = 'text'`.execute(db);
    return;
  }
  await sql`insert into scim_user_emails (tenant_id, value_key, user_id)
    select u.tenant_id, e ->> 'value', u.id
    from scim_users u cross join lateral jsonb_array_elements(
      case when jsonb_typeof(u.search -> 'emails') = 'array' then u.search -> 'emails' else '[]'::jsonb end) as e
    where jsonb_typeof(e) = 'object' and jsonb_typeof(e -> 'value') = 'string'
    on conflict do nothing`.execute(db);
}
