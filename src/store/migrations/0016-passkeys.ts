// Passkeys (issue 13 item 3, ADR 0042): WebAuthn credentials of Roster ID users, and the single-use challenges the
// options routes hand out. A credential belongs to one user of one tenant: the key (tenant_id, credential_id) is
// what a sign-in looks up, so a passkey made for tenant A is unknown to tenant B even though the rpID is shared.
// Deleting the user (or the tenant) deletes their passkeys.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('passkey_credentials')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    /** base64url, as the browser reports it. */
    .addColumn('credential_id', 'text', (c) => c.notNull())
    /** The COSE public key, base64url (text on both stores: no blob/bytea difference to carry). */
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('sign_count', 'bigint', (c) => c.notNull())
    /** Space-separated WebAuthn transports (usb, internal, hybrid, …). */
    .addColumn('transports', 'text', (c) => c.notNull())
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('backed_up', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addPrimaryKeyConstraint('passkey_credentials_pk', ['tenant_id', 'id'])
    .addForeignKeyConstraint(
      'passkey_credentials_user',
      ['tenant_id', 'user_id'],
      'scim_users',
      ['tenant_id', 'id'],
      (f) => f.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('passkey_credentials_credential')
    .unique()
    .on('passkey_credentials')
    .columns(['tenant_id', 'credential_id'])
    .execute();
  await db.schema
    .createIndex('passkey_credentials_user')
    .on('passkey_credentials')
    .columns(['tenant_id', 'user_id'])
    .execute();
  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    /** The challenge itself (base64url): the browser echoes it in clientDataJSON, so it is also the lookup key. */
    .addColumn('challenge', 'text', (c) => c.notNull())
    /** 'register' or 'authenticate'. */
    .addColumn('purpose', 'text', (c) => c.notNull())
    /** register: the enrolling user's id; authenticate: the OpenID Provider interaction's uid. */
    .addColumn('bound_to', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webauthn_challenges_pk', ['tenant_id', 'challenge'])
    .execute();
  await db.schema.createIndex('webauthn_challenges_expiry').on('webauthn_challenges').columns(['expires_at']).execute();
}
