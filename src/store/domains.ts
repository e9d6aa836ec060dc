// Domain claims and tenant settings on Kysely. Every query names its tenant except the two that look a domain up
// across tenants by design: who holds it verified (home-realm discovery, ADR 0031) and which are due for re-check.
import type { Kysely } from 'kysely';
import type { DomainRepository, SettingsRepository } from '../core/domains/ports.ts';
import type { DomainFailure, DomainPolicy, DomainRecord, DomainStatus } from '../core/domains/records.ts';
import { DomainError } from '../core/errors.ts';
import type { FixedQueries } from './fixed-queries.ts';
import type { Database, DomainsTable } from './schema.ts';

function toDomain(row: DomainsTable): DomainRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    domain: row.domain,
    status: row.status as DomainStatus,
    challenge: row.challenge,
    reason: row.reason as DomainFailure | null,
    failures: Number(row.failures),
    createdAt: row.created_at,
    verifiedAt: row.verified_at,
    checkedAt: row.checked_at,
    nextCheckAt: row.next_check_at,
    leaseUntil: row.lease_until,
  };
}

export function createDomainRepository(
  db: Kysely<Database>,
  traits: { isUniqueViolation(error: unknown): boolean },
  q: FixedQueries,
): DomainRepository {
  return {
    async insert(d) {
      try {
        await db
          .insertInto('domains')
          .values({
            id: d.id,
            tenant_id: d.tenantId,
            domain: d.domain,
            status: d.status,
            challenge: d.challenge,
            reason: d.reason,
            failures: d.failures,
            created_at: d.createdAt,
            verified_at: d.verifiedAt,
            checked_at: d.checkedAt,
            next_check_at: d.nextCheckAt,
            lease_until: d.leaseUntil,
          })
          .execute();
      } catch (error) {
        if (!traits.isUniqueViolation(error)) throw error;
        throw new DomainError('domains.exists', `this tenant already claims "${d.domain}"`, [
          { field: 'domain', message: 'already claimed by this tenant' },
        ]);
      }
    },
    async get(tenantId, id) {
      const row = await db
        .selectFrom('domains')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toDomain(row);
    },
    async list(tenantId) {
      const rows = await db
        .selectFrom('domains')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('domain')
        .execute();
      return rows.map(toDomain);
    },
    async delete(tenantId, id) {
      const r = await db
        .deleteFrom('domains')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async update(d, heldLease) {
      try {
        let query = db
          .updateTable('domains')
          .set({
            status: d.status,
            reason: d.reason,
            failures: d.failures,
            verified_at: d.verifiedAt,
            checked_at: d.checkedAt,
            next_check_at: d.nextCheckAt,
            lease_until: d.leaseUntil,
          })
          .where('tenant_id', '=', d.tenantId)
          .where('id', '=', d.id);
        if (heldLease !== undefined) query = query.where('lease_until', '=', heldLease);
        const result = await query.executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      } catch (error) {
        if (!traits.isUniqueViolation(error)) throw error;
        throw new DomainError('domains.taken', `"${d.domain}" is verified by another tenant`, [
          { field: 'domain', message: 'verified by another tenant' },
        ]);
      }
    },
    // The two reads on hot paths (home-realm discovery; every SCIM User write under the policy) are fixed queries:
    // on SQLite they go to the read connection, not behind the writer's open transactions.
    async verifiedOwner(domain) {
      const row = await q.first(
        'domains.verified_owner',
        (p) =>
          db
            .selectFrom('domains')
            .select('tenant_id')
            .where('domain', '=', p('domain'))
            .where('status', '=', p('status')),
        { domain, status: 'verified' },
      );
      return row?.tenant_id;
    },
    async verifiedOf(tenantId) {
      const rows = await q.all(
        'domains.verified_of',
        (p) =>
          db
            .selectFrom('domains')
            .select('domain')
            .where('tenant_id', '=', p('tenantId'))
            .where('status', '=', p('status')),
        { tenantId, status: 'verified' },
      );
      return rows.map((r) => r.domain);
    },
    async due(at, limit) {
      const rows = await db
        .selectFrom('domains')
        .selectAll()
        .where('status', '=', 'verified')
        .where('next_check_at', '<=', at)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
        .orderBy('next_check_at')
        .limit(limit)
        .execute();
      return rows.map(toDomain);
    },
    async claim(id, at, until) {
      const r = await db
        .updateTable('domains')
        .set({ lease_until: until })
        .where('id', '=', id)
        .where('status', '=', 'verified')
        .where('next_check_at', '<=', at)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
  };
}

export function createSettingsRepository(db: Kysely<Database>, q: FixedQueries): SettingsRepository {
  return {
    async domainPolicy(tenantId) {
      const row = await q.first(
        'tenant_settings.domain_policy',
        (p) => db.selectFrom('tenant_settings').select('domain_policy').where('tenant_id', '=', p('tenantId')),
        { tenantId },
      );
      return row && (JSON.parse(row.domain_policy) as DomainPolicy);
    },
    async putDomainPolicy(tenantId, policy, at) {
      const text = JSON.stringify(policy);
      await db
        .insertInto('tenant_settings')
        .values({ tenant_id: tenantId, domain_policy: text, updated_at: at })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ domain_policy: text, updated_at: at }))
        .execute();
    },
  };
}
