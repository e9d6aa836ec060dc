// Directory connections on Kysely (ADR 0043). Every query names its tenant; a scheme taken by a concurrent insert
// is reported as the domain error, not as the driver's unique violation.
import { type Kysely, sql } from 'kysely';
import type { DirectoryConnectionRepository } from '../core/directories/ports.ts';
import type { DirectoryConnectionRecord, DirectoryType } from '../core/directories/records.ts';
import { DomainError } from '../core/errors.ts';
import type { Database, DirectoryConnectionsTable } from './schema.ts';

const toRecord = (row: DirectoryConnectionsTable): DirectoryConnectionRecord => ({
  id: row.id,
  tenantId: row.tenant_id,
  scheme: row.scheme,
  displayName: row.display_name,
  type: row.type as DirectoryType,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function createDirectoryConnectionRepository(
  db: Kysely<Database>,
  traits: { readonly dialect: 'sqlite' | 'postgres'; isUniqueViolation(error: unknown): boolean },
): DirectoryConnectionRepository {
  const table = () => db.selectFrom('directory_connections').selectAll();
  return {
    async insert(r) {
      try {
        await db
          .insertInto('directory_connections')
          .values({
            id: r.id,
            tenant_id: r.tenantId,
            scheme: r.scheme,
            display_name: r.displayName,
            type: r.type,
            created_at: r.createdAt,
            updated_at: r.updatedAt,
          })
          .execute();
      } catch (error) {
        if (!traits.isUniqueViolation(error)) throw error;
        throw new DomainError('directories.scheme_taken', `scheme "${r.scheme}" is already in use in this tenant`, [
          { field: 'scheme', message: 'already in use in this tenant' },
        ]);
      }
    },
    async get(tenantId, scheme) {
      const row = await table().where('tenant_id', '=', tenantId).where('scheme', '=', scheme).executeTakeFirst();
      return row && toRecord(row);
    },
    async getById(tenantId, id) {
      const row = await table().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async list(tenantId) {
      const rows = await table().where('tenant_id', '=', tenantId).orderBy('scheme').execute();
      return rows.map(toRecord);
    },
    async update(r) {
      await db
        .updateTable('directory_connections')
        .set({ display_name: r.displayName, updated_at: r.updatedAt })
        .where('tenant_id', '=', r.tenantId)
        .where('scheme', '=', r.scheme)
        .execute();
    },
    async delete(tenantId, scheme) {
      const r = await db
        .deleteFrom('directory_connections')
        .where('tenant_id', '=', tenantId)
        .where('scheme', '=', scheme)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async lockSchemes(tenantId) {
      if (traits.dialect !== 'postgres') return;
      await sql`select id from tenants where id = ${tenantId} for no key update`.execute(db);
    },
  };
}
