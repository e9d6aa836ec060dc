// Key rotation's view of the store: every sealed secret and token digest with the server key it depends on.
import { type Kysely, sql } from 'kysely';
import type { KeyStore, SealedKind, TokenKind } from '../core/ports.ts';
import { sealedKeyId } from '../lib/keyring.ts';
import type { Database, JsonColumn } from './schema.ts';

const TOKEN_TABLES = { operator: 'operator_tokens', admin: 'admin_tokens', scim: 'scim_tokens' } as const;

/** The payload fields that hold sealed text, per oidc-provider model Roster stores (engine.ts). */
const SEALED_PAYLOAD_FIELDS: Record<string, string> = { UpstreamLogin: 'checks', UpstreamToken: 'token' };

const json = (column: JsonColumn): Record<string, unknown> =>
  typeof column === 'string' ? (JSON.parse(column) as Record<string, unknown>) : column;

export function createKeyStore(db: Kysely<Database>): KeyStore {
  return {
    async sealedValues() {
      const [providers, clients, keys, hooks, shared, totp] = await Promise.all([
        db
          .selectFrom('sso_providers')
          .select(['tenant_id', 'id', 'client_secret_sealed'])
          .where('client_secret_sealed', 'is not', null)
          .execute(),
        db
          .selectFrom('oidc_clients')
          .select(['tenant_id', 'client_id', 'secret_sealed'])
          .where('secret_sealed', 'is not', null)
          .execute(),
        db.selectFrom('oidc_signing_keys').select(['tenant_id', 'kid', 'private_jwk_sealed']).execute(),
        // The current secret only: a previous one signs for at most 24 hours after a rotation.
        sql<{ id: string; tenant_id: string | null; secret_sealed: string }>`
          select id, tenant_id, secret_sealed from webhooks`.execute(db),
        db
          .selectFrom('operator_oidc_clients')
          .select(['client_id', 'secret_sealed'])
          .where('secret_sealed', 'is not', null)
          .execute(),
        db.selectFrom('totp_factors').select(['tenant_id', 'user_id', 'secret_sealed']).execute(),
      ]);
      return [
        ...providers.map((r) => ({
          kind: 'sso_client_secret' as const,
          tenantId: r.tenant_id,
          rowId: r.id,
          sealed: r.client_secret_sealed!,
        })),
        ...clients.map((r) => ({
          kind: 'app_client_secret' as const,
          tenantId: r.tenant_id,
          rowId: r.client_id,
          sealed: r.secret_sealed!,
        })),
        ...keys.map((r) => ({
          kind: 'signing_key' as const,
          tenantId: r.tenant_id,
          rowId: r.kid,
          sealed: r.private_jwk_sealed,
        })),
        ...hooks.rows.map((r) => ({
          kind: 'webhook_secret' as const,
          tenantId: r.tenant_id ?? '',
          rowId: r.id,
          sealed: r.secret_sealed,
        })),
        ...shared.map((r) => ({
          kind: 'operator_app_client_secret' as const,
          tenantId: '',
          rowId: r.client_id,
          sealed: r.secret_sealed!,
        })),
        ...totp.map((r) => ({
          kind: 'totp_secret' as const,
          tenantId: r.tenant_id,
          rowId: r.user_id,
          sealed: r.secret_sealed,
        })),
      ];
    },

    async replaceSealed(value, next) {
      const where = { tenant: value.tenantId, row: value.rowId, sealed: value.sealed };
      const updates: Record<SealedKind, () => Promise<{ numUpdatedRows: bigint }>> = {
        sso_client_secret: () =>
          db
            .updateTable('sso_providers')
            .set({ client_secret_sealed: next })
            .where('tenant_id', '=', where.tenant)
            .where('id', '=', where.row)
            .where('client_secret_sealed', '=', where.sealed)
            .executeTakeFirst(),
        app_client_secret: () =>
          db
            .updateTable('oidc_clients')
            .set({ secret_sealed: next })
            .where('tenant_id', '=', where.tenant)
            .where('client_id', '=', where.row)
            .where('secret_sealed', '=', where.sealed)
            .executeTakeFirst(),
        signing_key: () =>
          db
            .updateTable('oidc_signing_keys')
            .set({ private_jwk_sealed: next })
            .where('tenant_id', '=', where.tenant)
            .where('kid', '=', where.row)
            .where('private_jwk_sealed', '=', where.sealed)
            .executeTakeFirst(),
        operator_app_client_secret: () =>
          db
            .updateTable('operator_oidc_clients')
            .set({ secret_sealed: next })
            .where('client_id', '=', where.row)
            .where('secret_sealed', '=', where.sealed)
            .executeTakeFirst(),
        totp_secret: () =>
          db
            .updateTable('totp_factors')
            .set({ secret_sealed: next })
            .where('tenant_id', '=', where.tenant)
            .where('user_id', '=', where.row)
            .where('secret_sealed', '=', where.sealed)
            .executeTakeFirst(),
        webhook_secret: async () => {
          const r = await sql`update webhooks set secret_sealed = ${next}
            where id = ${where.row} and secret_sealed = ${where.sealed}`.execute(db);
          return { numUpdatedRows: r.numAffectedRows ?? 0n };
        },
      };
      return Number((await updates[value.kind]()).numUpdatedRows) > 0;
    },

    async tokenKeys() {
      const [operator, admin, scim] = await Promise.all([
        db.selectFrom('operator_tokens').select(['id', 'key_id']).execute(),
        db.selectFrom('admin_tokens').select(['id', 'tenant_id', 'key_id']).execute(),
        db.selectFrom('scim_tokens').select(['id', 'tenant_id', 'key_id']).execute(),
      ]);
      return [
        ...operator.map((r) => ({ kind: 'operator' as const, id: r.id, tenantId: null, keyId: r.key_id })),
        ...admin.map((r) => ({ kind: 'admin' as const, id: r.id, tenantId: r.tenant_id, keyId: r.key_id })),
        ...scim.map((r) => ({ kind: 'scim' as const, id: r.id, tenantId: r.tenant_id, keyId: r.key_id })),
      ];
    },

    async rehashToken(kind: TokenKind, id, from, to) {
      await db
        .updateTable(TOKEN_TABLES[kind])
        .set({ key_id: to.keyId, digest: to.digest })
        .where('id', '=', id)
        .where('key_id', '=', from.keyId)
        .where('digest', '=', from.digest)
        .execute();
    },

    async sealedPayloads() {
      const rows = await db
        .selectFrom('oidc_payloads')
        .select(['model', 'payload', 'expires_at'])
        .where('model', 'in', Object.keys(SEALED_PAYLOAD_FIELDS))
        .execute();
      return rows.flatMap((r) => {
        const sealed = json(r.payload)[SEALED_PAYLOAD_FIELDS[r.model]!];
        const keyId = typeof sealed === 'string' ? sealedKeyId(sealed) : undefined;
        return keyId ? [{ keyId, expiresAt: r.expires_at === null ? null : Number(r.expires_at) }] : [];
      });
    },
  };
}
