// The provisioning log: every SCIM request's entry, appended in batches, listed per tenant, purged by age.
import type { Kysely } from 'kysely';
import type { ScimLogRepository } from '../../core/scim/ports.ts';
import type { ScimLogEntry } from '../../core/scim/records.ts';
import { uuidv7TimePrefix } from '../../lib/ids.ts';
import type { Database } from '../schema.ts';
import { chunks } from './rows.ts';

function logRow(e: ScimLogEntry) {
  return {
    id: e.id,
    tenant_id: e.tenantId,
    at: e.at,
    token_id: e.tokenId,
    method: e.method,
    path: e.path,
    operation: e.operation,
    resource_type: e.resourceType,
    resource_id: e.resourceId,
    status: e.status,
    scim_type: e.scimType,
    duration_ms: e.durationMs,
    summary: JSON.stringify(e.summary),
  };
}

export function createProvisioningLog(db: Kysely<Database>): ScimLogRepository {
  return {
    async appendMany(entries) {
      // Multi-row inserts: one statement per 50 entries (13 parameters each stays under SQLite's oldest cap of
      // 999), so a flush costs a few round trips on PostgreSQL instead of one per request logged.
      for (const part of chunks(entries, 50)) {
        if (part.length > 0) await db.insertInto('scim_log').values(part.map(logRow)).execute();
      }
    },
    async list(tenantId, q) {
      let query = db.selectFrom('scim_log').selectAll().where('tenant_id', '=', tenantId);
      if (q.since !== undefined) query = query.where('at', '>=', q.since);
      if (q.until !== undefined) query = query.where('at', '<', q.until);
      if (q.status !== undefined) query = query.where('status', '=', q.status);
      if (q.outcome === 'success') query = query.where('status', '<', 400);
      if (q.outcome === 'failure') query = query.where('status', '>=', 400);
      if (q.resourceId !== undefined) query = query.where('resource_id', '=', q.resourceId);
      if (q.operation !== undefined) query = query.where('operation', '=', q.operation);
      if (q.before !== undefined) query = query.where('id', '<', q.before);
      const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        at: r.at,
        tokenId: r.token_id,
        method: r.method,
        path: r.path,
        operation: r.operation,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        status: r.status,
        scimType: r.scim_type,
        durationMs: r.duration_ms,
        summary: JSON.parse(r.summary),
      }));
    },
    async purgeBefore(at, limit) {
      // Ids are UUIDv7s minted with the entry, so ids below the cut-off's time prefix are the old entries: the batch
      // is a range of the primary key from its start. `at` is checked too, so an entry is never removed early.
      const batch = db
        .selectFrom('scim_log')
        .select('id')
        .where('id', '<', uuidv7TimePrefix(Date.parse(at)))
        .where('at', '<', at)
        .orderBy('id')
        .limit(limit);
      const r = await db.deleteFrom('scim_log').where('id', 'in', batch).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
