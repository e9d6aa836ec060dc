// The directory API lists users by `active` in id order (GET /iam/v1/directory/users?active=false). Without an
// index a page of the few inactive users walked every active one before them; (tenant_id, active, id) serves the
// equality and the order together, so a page touches only its own rows (ADR 0021).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('scim_users_active').on('scim_users').columns(['tenant_id', 'active', 'id']).execute();
}
