// IdPs match by externalId before they create (Entra's objectId mapping, Okta's id). Lookups order by id, so
// with an index on (tenant_id, external_id) alone SQLite preferred walking the primary key in id order and testing
// every row of the tenant: a lookup cost grew with the directory. Ending the index with id serves the equality
// and the order together, and the lookup touches only the matching rows.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['scim_users', 'scim_groups'] as const) {
    await db.schema.dropIndex(`${table}_external_id`).execute();
    await db.schema.createIndex(`${table}_external_id`).on(table).columns(['tenant_id', 'external_id', 'id']).execute();
  }
}
