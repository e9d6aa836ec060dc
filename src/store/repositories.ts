// The foundation repositories on Kysely: every query names its tenant (except lookups by a token's own id).

import type { Kysely } from 'kysely';
import type { DomainPolicy } from '../core/domains/records.ts';
import { DomainError } from '../core/errors.ts';
import type { AuditRepository, Repositories } from '../core/ports.ts';
import type {
  AdminScope,
  AdminTokenRecord,
  AuditEventRecord,
  ScimTokenRecord,
  SsoProviderRecord,
} from '../core/records.ts';
import { createBrandingRepository } from './branding.ts';
import { createDirectoryConnectionRepository } from './directory-connections.ts';
import { createDomainRepository, createSettingsRepository } from './domains.ts';
import { createEventRepository } from './events.ts';
import { type FixedQueries, fixedQueries } from './fixed-queries.ts';
import { createRoleRepository } from './roles.ts';
import { createSamlAssertionRepository, createSamlProviderRepository } from './saml.ts';
import type { Database, ScimTokensTable, SsoProvidersTable } from './schema.ts';
import { tokenWithLookup } from './scim/token-with-lookup.ts';
import { domainPolicyColumn } from './scim/token-with-policy.ts';
import { tokenWithGroup, tokenWithUser } from './scim/token-with-resource.ts';

export interface DialectTraits {
  readonly dialect: 'sqlite' | 'postgres';
  isUniqueViolation(error: unknown): boolean;
}

function toProvider(row: SsoProvidersTable): SsoProviderRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    // Rows written before generic OIDC providers existed all say 'azuread' (the column has been there since 0001).
    kind: row.kind === 'oidc' ? 'oidc' : 'azuread',
    scheme: row.scheme,
    displayName: row.display_name,
    enabled: row.enabled === 1,
    type: 'oidc',
    properties: JSON.parse(row.properties),
    clientSecretSealed: row.client_secret_sealed,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function fromProvider(p: SsoProviderRecord): SsoProvidersTable {
  return {
    id: p.id,
    tenant_id: p.tenantId,
    kind: p.kind,
    scheme: p.scheme,
    display_name: p.displayName,
    enabled: p.enabled ? 1 : 0,
    type: p.type,
    properties: JSON.stringify(p.properties),
    client_secret_sealed: p.clientSecretSealed,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

function toScimToken(row: ScimTokensTable): ScimTokenRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    provider: row.provider,
    providerDisplayName: row.provider_display_name,
    secret: { keyId: row.key_id, digest: row.digest },
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    defaultRole: row.default_role,
  };
}

/** A SCIM token row with its tenant's stored domain policy (a JSON text, or null: none stored). */
function toTokenWithPolicy(row: ScimTokensTable & { domain_policy: string | null }) {
  const { domain_policy, ...token } = row;
  return {
    ...toScimToken(token),
    domainPolicy: domain_policy === null ? null : (JSON.parse(domain_policy) as DomainPolicy),
  };
}

const ADMIN_SCOPES: readonly AdminScope[] = ['read', 'scim-tokens', 'admin'];

function toAdminToken(row: Database['admin_tokens']): AdminTokenRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    label: row.label,
    secret: { keyId: row.key_id, digest: row.digest },
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    // Unknown words in the column grant nothing.
    scopes: ADMIN_SCOPES.filter((scope) => row.scopes.split(' ').includes(scope)),
    expiresAt: row.expires_at,
  };
}

export function createRepositories(
  db: Kysely<Database>,
  traits: DialectTraits,
  q: FixedQueries = fixedQueries(db, traits.dialect, undefined),
): Repositories {
  /** A SCIM token with its tenant's domain policy, in one statement (ADR 0045). */
  const getWithDomainPolicy = async (id: string) => {
    const row = await q.first(
      'scim_tokens.getWithDomainPolicy',
      (p) => db.selectFrom('scim_tokens as t').selectAll('t').select(domainPolicyColumn()).where('t.id', '=', p('id')),
      { id },
    );
    return row && toTokenWithPolicy(row);
  };
  return {
    tenants: {
      async insert(t) {
        await db.insertInto('tenants').values({ id: t.id, name: t.name, created_at: t.createdAt }).execute();
      },
      async get(id) {
        const row = await q.first(
          'tenants.get',
          (p) => db.selectFrom('tenants').selectAll().where('id', '=', p('id')),
          { id },
        );
        return row && { id: row.id, name: row.name, createdAt: row.created_at };
      },
      async list() {
        const rows = await db.selectFrom('tenants').selectAll().orderBy('id').execute();
        return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at }));
      },
      async delete(id) {
        // Tokens and providers explicitly (tokens referenced providers, not tenants, until migration 0018); the rest
        // cascades from tenants.
        await db.deleteFrom('scim_tokens').where('tenant_id', '=', id).execute();
        await db.deleteFrom('sso_providers').where('tenant_id', '=', id).execute();
        const result = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      },
    },
    operatorTokens: {
      async insert(t) {
        await db
          .insertInto('operator_tokens')
          .values({
            id: t.id,
            label: t.label,
            digest: t.secret.digest,
            key_id: t.secret.keyId,
            created_at: t.createdAt,
          })
          .execute();
      },
      async get(id) {
        const row = await q.first(
          'operator_tokens.get',
          (p) => db.selectFrom('operator_tokens').selectAll().where('id', '=', p('id')),
          { id },
        );
        return (
          row && {
            id: row.id,
            label: row.label,
            secret: { keyId: row.key_id, digest: row.digest },
            createdAt: row.created_at,
          }
        );
      },
      async count() {
        const row = await db
          .selectFrom('operator_tokens')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      },
    },
    adminTokens: {
      async insert(t) {
        await db
          .insertInto('admin_tokens')
          .values({
            id: t.id,
            tenant_id: t.tenantId,
            label: t.label,
            digest: t.secret.digest,
            key_id: t.secret.keyId,
            created_at: t.createdAt,
            last_used_at: t.lastUsedAt,
            scopes: t.scopes.join(' '),
            expires_at: t.expiresAt,
          })
          .execute();
      },
      async get(id) {
        const row = await q.first(
          'admin_tokens.get',
          (p) => db.selectFrom('admin_tokens').selectAll().where('id', '=', p('id')),
          { id },
        );
        return row && toAdminToken(row);
      },
      async list(tenantId) {
        const rows = await db
          .selectFrom('admin_tokens')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        return rows.map(toAdminToken);
      },
      async delete(tenantId, id) {
        const r = await db
          .deleteFrom('admin_tokens')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      },
      async touch(id, at) {
        await db.updateTable('admin_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
      },
    },
    ssoProviders: {
      async insert(p) {
        try {
          await db.insertInto('sso_providers').values(fromProvider(p)).execute();
        } catch (error) {
          if (traits.isUniqueViolation(error)) {
            throw new DomainError('sso.scheme_taken', `an SSO provider with scheme "${p.scheme}" already exists`, [
              { field: 'scheme', message: 'already in use in this tenant' },
            ]);
          }
          throw error;
        }
      },
      async get(tenantId, scheme) {
        const row = await q.first(
          'sso_providers.get',
          (p) =>
            db
              .selectFrom('sso_providers')
              .selectAll()
              .where('tenant_id', '=', p('tenantId'))
              .where('scheme', '=', p('scheme')),
          { tenantId, scheme },
        );
        // SAML providers share the table (ADR 0038) but not this repository: store/saml.ts reads them.
        return row && row.kind !== 'saml' ? toProvider(row) : undefined;
      },
      async list(tenantId) {
        const rows = await db
          .selectFrom('sso_providers')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('kind', '!=', 'saml')
          .orderBy('scheme')
          .execute();
        return rows.map(toProvider);
      },
      async update(p) {
        const { tenant_id, scheme, id, created_at, ...rest } = fromProvider(p);
        await db
          .updateTable('sso_providers')
          .set(rest)
          .where('tenant_id', '=', tenant_id)
          .where('scheme', '=', scheme)
          .where('kind', '!=', 'saml')
          .execute();
      },
      async delete(tenantId, scheme) {
        const r = await db
          .deleteFrom('sso_providers')
          .where('tenant_id', '=', tenantId)
          .where('scheme', '=', scheme)
          .where('kind', '!=', 'saml')
          .executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      },
    },
    scimTokens: {
      async insert(t) {
        await db
          .insertInto('scim_tokens')
          .values({
            id: t.id,
            tenant_id: t.tenantId,
            provider: t.provider,
            provider_display_name: t.providerDisplayName,
            digest: t.secret.digest,
            key_id: t.secret.keyId,
            created_at: t.createdAt,
            expires_at: t.expiresAt,
            last_used_at: t.lastUsedAt,
            default_role: t.defaultRole,
          })
          .execute();
      },
      async get(id) {
        const row = await q.first(
          'scim_tokens.get',
          (p) => db.selectFrom('scim_tokens').selectAll().where('id', '=', p('id')),
          { id },
        );
        return row && toScimToken(row);
      },
      getWithDomainPolicy,
      // PostgreSQL only: there every statement is a round trip, and a GET of one user or group was two (ADR 0051),
      // as was an IdP's `attr eq` lookup (ADR 0055).
      ...(traits.dialect === 'postgres'
        ? {
            getWithDomainPolicyAndUser: tokenWithUser(db, q, toTokenWithPolicy),
            getWithDomainPolicyAndGroup: tokenWithGroup(db, q, toTokenWithPolicy),
            getWithDomainPolicyAndLookup: tokenWithLookup(db, q, toTokenWithPolicy, getWithDomainPolicy),
          }
        : {}),
      async list(tenantId) {
        const rows = await db
          .selectFrom('scim_tokens')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        return rows.map(toScimToken);
      },
      async countForProvider(tenantId, provider) {
        const row = await db
          .selectFrom('scim_tokens')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', tenantId)
          .where('provider', '=', provider)
          .executeTakeFirstOrThrow();
        return Number(row.n);
      },
      async delete(tenantId, id) {
        const r = await db
          .deleteFrom('scim_tokens')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      },
      async touch(id, at) {
        await db.updateTable('scim_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
      },
      async expiringUnnotified(before, limit) {
        const rows = await db
          .selectFrom('scim_tokens')
          .selectAll()
          .where('expires_at', 'is not', null)
          .where('expires_at', '<', before)
          .where('expiry_notified_at', 'is', null)
          .orderBy('expires_at')
          .limit(limit)
          .execute();
        return rows.map(toScimToken);
      },
      async markExpiryNotified(id, at) {
        const r = await db
          .updateTable('scim_tokens')
          .set({ expiry_notified_at: at })
          .where('id', '=', id)
          .where('expiry_notified_at', 'is', null)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) > 0;
      },
    },
    events: createEventRepository(db, q),
    domains: createDomainRepository(db, traits, q),
    settings: createSettingsRepository(db, q),
    audit: createAuditRepository(db),
    roles: createRoleRepository(db, traits),
    branding: createBrandingRepository(db),
    directoryConnections: createDirectoryConnectionRepository(db, traits),
    samlProviders: createSamlProviderRepository(db, traits),
    samlAssertions: createSamlAssertionRepository(db),
  };
}

/** The audit trail; also part of the SCIM transactions' repositories (role writes are audited with them). */
export function createAuditRepository(db: Kysely<Database>): AuditRepository {
  return {
    async append(e: AuditEventRecord) {
      await db
        .insertInto('audit_events')
        .values({
          id: e.id,
          tenant_id: e.tenantId,
          at: e.at,
          actor: e.actor,
          action: e.action,
          target: e.target,
          data: JSON.stringify(e.data),
        })
        .execute();
    },
    async list(tenantId, { limit, before }) {
      let q = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
      if (before !== undefined) q = q.where('id', '<', before);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        data: JSON.parse(r.data),
      }));
    },
  };
}
