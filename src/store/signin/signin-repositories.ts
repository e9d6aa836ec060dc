// Sign-in state on Kysely: oidc-provider payloads, apps, signing keys, identity bindings. Every query names its tenant.
import type { Kysely } from 'kysely';
import type { ScimRepositories } from '../../core/scim/ports.ts';
import type { OidcClientRecord, SigninRepositories } from '../../core/signin/ports.ts';
import type { Database, JsonColumn, OidcClientsTable } from '../schema.ts';
import { createOperatorAuditRepository, createOperatorClientRepository } from './operator-clients.ts';
import { createSubjectSessions } from './subject-sessions.ts';

const json = (value: JsonColumn): Record<string, unknown> =>
  typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

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

export function createSigninRepositories(db: Kysely<Database>, scim: ScimRepositories): SigninRepositories {
  const payloadRow = (tenantId: string, model: string) =>
    db
      .selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at', 'expires_at'])
      .where('tenant_id', '=', tenantId)
      .where('model', '=', model);
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const sessions = createSubjectSessions(db);
  /** Expired rows are invisible before the sweep removes them; consumption is reported the way oidc-provider reads it. */
  const present = (row: { payload: JsonColumn; consumed_at: unknown; expires_at: unknown } | undefined) => {
    if (!row) return undefined;
    if (row.expires_at !== null && Number(row.expires_at) <= nowSeconds()) return undefined;
    const payload = json(row.payload);
    return row.consumed_at === null ? payload : { ...payload, consumed: Number(row.consumed_at) };
  };

  return {
    scim,
    operatorClients: createOperatorClientRepository(db),
    operatorAudit: createOperatorAuditRepository(db),
    payloads: {
      async upsert(tenantId, model, id, payload, expiresAt) {
        const values = {
          payload: JSON.stringify(payload),
          grant_id: str(payload.grantId),
          uid: str(payload.uid),
          user_code: str(payload.userCode),
          account_id: str(payload.accountId),
          expires_at: expiresAt,
          consumed_at: null,
        };
        await db
          .insertInto('oidc_payloads')
          .values({ tenant_id: tenantId, model, id, ...values })
          .onConflict((c) => c.columns(['tenant_id', 'model', 'id']).doUpdateSet(values))
          .execute();
      },
      find: async (tenantId, model, id) =>
        present(await payloadRow(tenantId, model).where('id', '=', id).executeTakeFirst()),
      findByUid: async (tenantId, model, uid) =>
        present(await payloadRow(tenantId, model).where('uid', '=', uid).executeTakeFirst()),
      findByUserCode: async (tenantId, model, userCode) =>
        present(await payloadRow(tenantId, model).where('user_code', '=', userCode).executeTakeFirst()),
      async consume(tenantId, model, id, at) {
        await db
          .updateTable('oidc_payloads')
          .set({ consumed_at: at })
          .where('tenant_id', '=', tenantId)
          .where('model', '=', model)
          .where('id', '=', id)
          .execute();
      },
      async take(tenantId, model, id) {
        const row = await db
          .deleteFrom('oidc_payloads')
          .where('tenant_id', '=', tenantId)
          .where('model', '=', model)
          .where('id', '=', id)
          .returning(['payload', 'consumed_at', 'expires_at'])
          .executeTakeFirst();
        return present(row);
      },
      async destroy(tenantId, model, id) {
        await db
          .deleteFrom('oidc_payloads')
          .where('tenant_id', '=', tenantId)
          .where('model', '=', model)
          .where('id', '=', id)
          .execute();
      },
      async revokeByGrantId(tenantId, grantId) {
        await db
          .deleteFrom('oidc_payloads')
          .where('tenant_id', '=', tenantId)
          .where('grant_id', '=', grantId)
          .execute();
      },
      revokeByAccount: (tenantId, accountId) => sessions.revoke(tenantId, accountId),
      async purgeExpired(now, limit) {
        // One batch, picked through the expiry index by primary key (a row-value IN both stores plan as key lookups).
        const batch = db
          .selectFrom('oidc_payloads')
          .select(['tenant_id', 'model', 'id'])
          .where('expires_at', '<=', now)
          .limit(limit);
        const r = await db
          .deleteFrom('oidc_payloads')
          .where((eb) => eb(eb.refTuple('tenant_id', 'model', 'id'), 'in', batch.$asTuple('tenant_id', 'model', 'id')))
          .executeTakeFirst();
        return Number(r.numDeletedRows);
      },
    },
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
        const row = await db
          .selectFrom('oidc_clients')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('client_id', '=', clientId)
          .executeTakeFirst();
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
        const rows = await db
          .selectFrom('oidc_signing_keys')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .orderBy('created_at', 'desc')
          .orderBy('kid', 'desc')
          .execute();
        return rows.map((r) => ({
          tenantId: r.tenant_id,
          kid: r.kid,
          privateJwkSealed: r.private_jwk_sealed,
          createdAt: r.created_at,
          retiredAt: r.retired_at,
        }));
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
