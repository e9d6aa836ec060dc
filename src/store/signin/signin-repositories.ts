// Sign-in state on Kysely: oidc-provider payloads, apps, signing keys, identity bindings. Every query names its tenant.
import type { Kysely } from 'kysely';
import type { ScimRepositories } from '../../core/scim/ports.ts';
import type { OidcClientRecord, SigninRepositories } from '../../core/signin/ports.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, JsonColumn, OidcClientsTable, OidcSigningKeysTable } from '../schema.ts';
import { createOperatorAuditRepository, createOperatorClientRepository } from './operator-clients.ts';
import { createPayloadRepository } from './payloads.ts';

const json = (value: JsonColumn): Record<string, unknown> =>
  typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value;

function toClient(row: OidcClientsTable): OidcClientRecord {
  return {
    tenantId: row.tenant_id,
    clientId: row.client_id,
    metadata: json(row.metadata),
    secretSealed: row.secret_sealed,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * `q` runs the statements every token request makes (app, signing keys, payloads) as fixed queries, compiled once
 * per dialect; outside a transaction on SQLite it reads on the read connection (ADR 0049), except single-use
 * payloads (codes, refresh tokens), read through `onWriter`.
 */
export function createSigninRepositories(
  db: Kysely<Database>,
  scim: ScimRepositories,
  q: FixedQueries,
  onWriter: FixedQueries = q,
): SigninRepositories {
  return {
    scim,
    operatorClients: createOperatorClientRepository(db, q),
    operatorAudit: createOperatorAuditRepository(db),
    payloads: createPayloadRepository(db, q, onWriter),
    clients: {
      async insert(c) {
        await db
          .insertInto('oidc_clients')
          .values({
            tenant_id: c.tenantId,
            client_id: c.clientId,
            metadata: JSON.stringify(c.metadata),
            secret_sealed: c.secretSealed,
            created_at: c.createdAt,
            updated_at: c.updatedAt,
          })
          .execute();
      },
      async get(tenantId, clientId) {
        const key = { tenantId, clientId };
        const row = await q.first<OidcClientsTable, typeof key>(
          'oidc_clients.get',
          (p) =>
            db
              .selectFrom('oidc_clients')
              .selectAll()
              .where('tenant_id', '=', p('tenantId'))
              .where('client_id', '=', p('clientId')),
          key,
        );
        return row && toClient(row);
      },
      async list(tenantId) {
        const rows = await db
          .selectFrom('oidc_clients')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .orderBy('created_at')
          .orderBy('client_id')
          .execute();
        return rows.map(toClient);
      },
      async update(c) {
        const r = await db
          .updateTable('oidc_clients')
          .set({ metadata: JSON.stringify(c.metadata), secret_sealed: c.secretSealed, updated_at: c.updatedAt })
          .where('tenant_id', '=', c.tenantId)
          .where('client_id', '=', c.clientId)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) === 1;
      },
      async delete(tenantId, clientId) {
        const r = await db
          .deleteFrom('oidc_clients')
          .where('tenant_id', '=', tenantId)
          .where('client_id', '=', clientId)
          .executeTakeFirst();
        return Number(r.numDeletedRows) === 1;
      },
    },
    signingKeys: {
      async list(tenantId) {
        const key = { tenantId };
        const rows = await q.all<OidcSigningKeysTable, typeof key>(
          'oidc_signing_keys.list',
          (p) =>
            db
              .selectFrom('oidc_signing_keys')
              .selectAll()
              .where('tenant_id', '=', p('tenantId'))
              .orderBy('created_at', 'desc')
              .orderBy('kid', 'desc'),
          key,
        );
        return rows.map((r) => ({
          tenantId: r.tenant_id,
          kid: r.kid,
          privateJwkSealed: r.private_jwk_sealed,
          createdAt: r.created_at,
          retiredAt: r.retired_at,
        }));
      },
      async listVersions(tenantId) {
        // Read by every protocol request (a cached OP checks its key set is still current: signingKeyVersion).
        const key = { tenantId };
        const rows = await q.all<Pick<OidcSigningKeysTable, 'kid' | 'retired_at'>, typeof key>(
          'oidc_signing_keys.listVersions',
          (p) =>
            db
              .selectFrom('oidc_signing_keys')
              .select(['kid', 'retired_at'])
              .where('tenant_id', '=', p('tenantId'))
              .orderBy('created_at', 'desc')
              .orderBy('kid', 'desc'),
          key,
        );
        return rows.map((r) => ({ kid: r.kid, retiredAt: r.retired_at }));
      },
      async insert(k) {
        await db
          .insertInto('oidc_signing_keys')
          .values({
            tenant_id: k.tenantId,
            kid: k.kid,
            private_jwk_sealed: k.privateJwkSealed,
            created_at: k.createdAt,
            retired_at: k.retiredAt,
          })
          .execute();
      },
      async retireAllExcept(tenantId, kid, at) {
        await db
          .updateTable('oidc_signing_keys')
          .set({ retired_at: at })
          .where('tenant_id', '=', tenantId)
          .where('kid', '!=', kid)
          .where('retired_at', 'is', null)
          .execute();
      },
      async deleteRetiredBefore(tenantId, at) {
        await db
          .deleteFrom('oidc_signing_keys')
          .where('tenant_id', '=', tenantId)
          .where('retired_at', '<', at)
          .execute();
      },
    },
    identities: {
      async find(key) {
        const row = await db
          .selectFrom('upstream_identities')
          .select('user_id')
          .where('tenant_id', '=', key.tenantId)
          .where('provider_id', '=', key.providerId)
          .where('directory', '=', key.directory)
          .where('subject', '=', key.subject)
          .executeTakeFirst();
        return row?.user_id;
      },
      async findForUser(tenantId, providerId, userId) {
        const row = await db
          .selectFrom('upstream_identities')
          .select(['directory', 'subject'])
          .where('tenant_id', '=', tenantId)
          .where('provider_id', '=', providerId)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return row && { tenantId, providerId, directory: row.directory, subject: row.subject };
      },
      async insert(key, userId, at) {
        // DO NOTHING rather than catching the violation: on PostgreSQL a failed insert would abort the transaction.
        const r = await db
          .insertInto('upstream_identities')
          .values({
            tenant_id: key.tenantId,
            provider_id: key.providerId,
            directory: key.directory,
            subject: key.subject,
            user_id: userId,
            created_at: at,
          })
          .onConflict((c) => c.doNothing())
          .executeTakeFirst();
        return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
      },
    },
  };
}
