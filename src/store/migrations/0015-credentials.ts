// Roster ID own credentials (issue 13 item 3, ADR 0040/0041): one-time links (invitations, password resets),
// passwords (Argon2id), TOTP factors (secret sealed with the keyring), enrolment sessions, and the tenant's
// SCIM-alone setting. Secrets of links and sessions are kept as keyed digests only. Every row belongs to a tenant
// (cascade on its deletion) and, where it names a user, to that user (cascade on the user's deletion).
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('credential_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('revoked_at', 'text')
    // The mail's delivery: sealed link text kept only until sent, so a retry can send the same link.
    .addColumn('mail_sealed', 'text')
    .addColumn('mail_status', 'text', (c) => c.notNull())
    .addColumn('mail_attempts', 'integer', (c) => c.notNull())
    .addColumn('mail_next_at', 'text')
    .addColumn('mail_lease_until', 'text')
    .addForeignKeyConstraint(
      'credential_links_user',
      ['tenant_id', 'user_id'],
      'scim_users',
      ['tenant_id', 'id'],
      (c) => c.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('credential_links_tenant')
    .on('credential_links')
    .columns(['tenant_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('credential_links_user')
    .on('credential_links')
    .columns(['tenant_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex('credential_links_mail_due')
    .on('credential_links')
    .columns(['mail_status', 'mail_next_at'])
    .execute();

  await db.schema
    .createTable('password_credentials')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('login_key', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('password_credentials_pk', ['tenant_id', 'user_id'])
    .addForeignKeyConstraint(
      'password_credentials_user',
      ['tenant_id', 'user_id'],
      'scim_users',
      ['tenant_id', 'id'],
      (c) => c.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('password_credentials_login')
    .unique()
    .on('password_credentials')
    .columns(['tenant_id', 'login_key'])
    .execute();

  await db.schema
    .createTable('totp_factors')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('last_used_step', 'integer')
    .addPrimaryKeyConstraint('totp_factors_pk', ['tenant_id', 'user_id'])
    .addForeignKeyConstraint('totp_factors_user', ['tenant_id', 'user_id'], 'scim_users', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('enrolment_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addForeignKeyConstraint(
      'enrolment_sessions_user',
      ['tenant_id', 'user_id'],
      'scim_users',
      ['tenant_id', 'id'],
      (c) => c.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('tenant_credential_settings')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('scim_alone_mode', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // SCIM-alone activation (docs/accounts.md): where the reader of the `user.created` feed has got to, and the lease
  // that lets one process at a time move it.
  await db.schema
    .createTable('credential_activation_cursor')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('xid', 'text', (c) => c.notNull())
    .addColumn('seq', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .execute();
}
