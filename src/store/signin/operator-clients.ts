// Vendor-wide apps (ADR 0044) and the operator's audit trail of them, on Kysely. Neither belongs to a tenant.
import type { Kysely } from 'kysely';
import type {
  OperatorAuditRepository,
  OperatorClientRecord,
  OperatorClientRepository,
} from '../../core/signin/ports.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, JsonColumn, OperatorOidcClientsTable } from '../schema.ts';

const json = (value: JsonColumn): Record<string, unknown> =>
  typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value;

function toClient(row: OperatorOidcClientsTable): OperatorClientRecord {
  return {
    clientId: row.client_id,
    metadata: json(row.metadata),
    secretSealed: row.secret_sealed,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createOperatorClientRepository(db: Kysely<Database>, q: FixedQueries): OperatorClientRepository {
  return {
    async insert(c) {
      await db
        .insertInto('operator_oidc_clients')
        .values({
          client_id: c.clientId,
          metadata: JSON.stringify(c.metadata),
          secret_sealed: c.secretSealed,
          created_at: c.createdAt,
          updated_at: c.updatedAt,
        })
        .execute();
    },
    async get(clientId) {
      // Read by a token request for an app no tenant registered (a vendor-wide one, or an unknown client_id).
      const key = { clientId };
      const row = await q.first<OperatorOidcClientsTable, typeof key>(
        'operator_oidc_clients.get',
        (p) => db.selectFrom('operator_oidc_clients').selectAll().where('client_id', '=', p('clientId')),
        key,
      );
      return row && toClient(row);
    },
    async list() {
      const rows = await db
        .selectFrom('operator_oidc_clients')
        .selectAll()
        .orderBy('created_at')
        .orderBy('client_id')
        .execute();
      return rows.map(toClient);
    },
    async update(c) {
      const r = await db
        .updateTable('operator_oidc_clients')
        .set({ metadata: JSON.stringify(c.metadata), secret_sealed: c.secretSealed, updated_at: c.updatedAt })
        .where('client_id', '=', c.clientId)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async delete(clientId) {
      const r = await db.deleteFrom('operator_oidc_clients').where('client_id', '=', clientId).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    },
  };
}

export function createOperatorAuditRepository(db: Kysely<Database>): OperatorAuditRepository {
  return {
    async append(e) {
      await db
        .insertInto('operator_audit_events')
        .values({
          id: e.id,
          at: e.at,
          actor: e.actor,
          action: e.action,
          target: e.target,
          data: JSON.stringify(e.data),
        })
        .execute();
    },
    async list({ limit, before }) {
      let q = db.selectFrom('operator_audit_events').selectAll();
      if (before !== undefined) q = q.where('id', '<', before);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
    },
  };
}
