// Sign-in: the OpenID Provider's state (oidc-provider models), apps, signing keys, and upstream identity bindings.
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const json = ctx.dialect === 'postgres' ? sql`jsonb` : sql`text`;

  // Every oidc-provider model (Session, Grant, AuthorizationCode, AccessToken, RefreshToken, Interaction, …) as one
  // row per (tenant, model, id). `account_id` is lifted out of the payload so a subject's sessions and tokens can be
  // revoked in one statement, inside the SCIM transaction that deactivates or deletes it.
  await db.schema
    .createTable('oidc_payloads')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', json, (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('account_id', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('oidc_payloads_pk', ['tenant_id', 'model', 'id'])
    .execute();
  await db.schema.createIndex('oidc_payloads_grant').on('oidc_payloads').columns(['tenant_id', 'grant_id']).execute();
  await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').columns(['tenant_id', 'model', 'uid']).execute();
  await db.schema
    .createIndex('oidc_payloads_account')
    .on('oidc_payloads')
    .columns(['tenant_id', 'account_id'])
    .execute();
  await db.schema.createIndex('oidc_payloads_expiry').on('oidc_payloads').columns(['expires_at']).execute();

  // Apps that sign users in against the tenant's issuer. The secret is sealed (AES-GCM bound to the row): the OP
  // must compare it with what the app presents, so a one-way hash cannot serve.
  await db.schema
    .createTable('oidc_clients')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('metadata', json, (c) => c.notNull())
    .addColumn('secret_sealed', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('oidc_clients_pk', ['tenant_id', 'client_id'])
    .execute();

  // Per-tenant signing keys (private JWK sealed to the row). The newest unretired key signs; retired keys stay
  // published until `retired_at` + the overlap, so tokens signed before a rotation still verify.
  await db.schema
    .createTable('oidc_signing_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('private_jwk_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .addPrimaryKeyConstraint('oidc_signing_keys_pk', ['tenant_id', 'kid'])
    .execute();

  // Which upstream identity is which subject: (provider, directory, subject) → user, at most one binding each way
  // per provider. Entra: directory = tid, subject = oid; other OIDC providers: directory = '', subject = sub.
  await db.schema
    .createTable('upstream_identities')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('directory', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('upstream_identities_pk', ['tenant_id', 'provider_id', 'directory', 'subject'])
    .addForeignKeyConstraint(
      'upstream_identities_user',
      ['tenant_id', 'user_id'],
      'scim_users',
      ['tenant_id', 'id'],
      (c) => c.onDelete('cascade'),
    )
    .addForeignKeyConstraint('upstream_identities_provider', ['provider_id'], 'sso_providers', ['id'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('upstream_identities_user')
    .unique()
    .on('upstream_identities')
    .columns(['tenant_id', 'provider_id', 'user_id'])
    .execute();
}
