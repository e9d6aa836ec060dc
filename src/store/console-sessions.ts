// Console sessions on Kysely (migration 0013): the same queries on SQLite and PostgreSQL.
import type { Kysely } from 'kysely';
import type { ConsoleSessionRecord, ConsoleSessionRepository } from '../core/console/ports.ts';
import type { ConsoleSessionsTable, Database } from './schema.ts';

function toSession(row: ConsoleSessionsTable): ConsoleSessionRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    secret: { keyId: row.key_id, digest: row.digest },
    csrf: row.csrf,
    actor: row.actor,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

export function createConsoleSessionRepository(db: Kysely<Database>): ConsoleSessionRepository {
  return {
    async insert(s) {
      await db
        .insertInto('console_sessions')
        .values({
          id: s.id,
          tenant_id: s.tenantId,
          digest: s.secret.digest,
          key_id: s.secret.keyId,
          csrf: s.csrf,
          actor: s.actor,
          created_at: s.createdAt,
          last_seen_at: s.lastSeenAt,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('console_sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toSession(row) : undefined;
    },
    async touch(id, at) {
      await db.updateTable('console_sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
    },
    async delete(id) {
      const result = await db.deleteFrom('console_sessions').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
