// SAML providers and the assertion-id replay cache on Kysely (ADR 0038). Every provider query names its tenant and
// kind 'saml'; the replay cache is keyed by provider, and a duplicate insert is the replay signal on both stores.
import type { Kysely } from 'kysely';
import { DomainError } from '../core/errors.ts';
import type {
  SamlAssertionRepository,
  SamlIdpDescriptor,
  SamlProperties,
  SamlProviderRecord,
  SamlProviderRepository,
} from '../core/saml/records.ts';
import type { Database, SsoProvidersTable } from './schema.ts';

/** SAML providers are sso_providers rows of kind 'saml' (ADR 0038); the JSON column holds properties and the IdP. */
const SAML = 'saml';

const toRecord = (row: SsoProvidersTable): SamlProviderRecord => {
  const stored = JSON.parse(row.properties) as { properties: SamlProperties; idp: SamlIdpDescriptor };
  return {
    id: row.id,
    tenantId: row.tenant_id,
    scheme: row.scheme,
    displayName: row.display_name,
    enabled: Boolean(Number(row.enabled)),
    type: 'saml',
    properties: stored.properties,
    idp: stored.idp,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
};

const toRow = (r: SamlProviderRecord): SsoProvidersTable => ({
  id: r.id,
  tenant_id: r.tenantId,
  kind: SAML,
  scheme: r.scheme,
  display_name: r.displayName,
  enabled: r.enabled ? 1 : 0,
  type: SAML,
  properties: JSON.stringify({ properties: r.properties, idp: r.idp }),
  client_secret_sealed: null,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

export function createSamlProviderRepository(
  db: Kysely<Database>,
  traits: { isUniqueViolation(error: unknown): boolean },
): SamlProviderRepository {
  return {
    async insert(record) {
      try {
        await db.insertInto('sso_providers').values(toRow(record)).execute();
      } catch (error) {
        if (!traits.isUniqueViolation(error)) throw error;
        throw new DomainError('sso.scheme_taken', `an SSO provider with scheme "${record.scheme}" already exists`, [
          { field: 'scheme', message: 'already in use in this tenant' },
        ]);
      }
    },
    async get(tenantId, scheme) {
      const row = await db
        .selectFrom('sso_providers')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('scheme', '=', scheme)
        .where('kind', '=', SAML)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async list(tenantId) {
      const rows = await db
        .selectFrom('sso_providers')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', SAML)
        .orderBy('scheme')
        .execute();
      return rows.map(toRecord);
    },
    async update(record) {
      const { tenant_id, scheme, id, created_at, ...rest } = toRow(record);
      await db
        .updateTable('sso_providers')
        .set(rest)
        .where('tenant_id', '=', tenant_id)
        .where('id', '=', id)
        .where('kind', '=', SAML)
        .execute();
    },
    async delete(tenantId, scheme) {
      const r = await db
        .deleteFrom('sso_providers')
        .where('tenant_id', '=', tenantId)
        .where('scheme', '=', scheme)
        .where('kind', '=', SAML)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}

export function createSamlAssertionRepository(db: Kysely<Database>): SamlAssertionRepository {
  return {
    async remember(tenantId, providerId, assertionId, expiresAt) {
      // ON CONFLICT DO NOTHING: the row count says who got there first, without an error to catch mid-transaction.
      const r = await db
        .insertInto('saml_assertion_ids')
        .values({ tenant_id: tenantId, provider_id: providerId, assertion_id: assertionId, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['provider_id', 'assertion_id']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    async purgeExpired(now) {
      const r = await db.deleteFrom('saml_assertion_ids').where('expires_at', '<', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
