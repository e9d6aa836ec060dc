// Roster ID credentials on Kysely (migration 0015, ADR 0040): the same queries on SQLite and PostgreSQL.
import type { Kysely } from 'kysely';
import type {
  CredentialLinkRecord,
  CredentialRepositories,
  CredentialStore,
  LinkPurpose,
  MailStatus,
} from '../core/credentials/ports.ts';
import type { Repositories } from '../core/ports.ts';
import type { ScimRepositories } from '../core/scim/ports.ts';
import type { CredentialLinksTable, Database } from './schema.ts';

function toLink(row: CredentialLinksTable): CredentialLinkRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    email: row.email,
    purpose: row.purpose as LinkPurpose,
    secret: { keyId: row.key_id, digest: row.digest },
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
    mail: {
      status: row.mail_status as MailStatus,
      attempts: row.mail_attempts,
      sealed: row.mail_sealed,
      nextAt: row.mail_next_at,
    },
  };
}

const changed = (r: { numUpdatedRows: bigint }) => Number(r.numUpdatedRows) > 0;

function credentialRepositories(
  db: Kysely<Database>,
  base: Repositories,
  scim: ScimRepositories,
): CredentialRepositories {
  return {
    ...base,
    users: scim.users,
    links: {
      async insert(l) {
        await db
          .insertInto('credential_links')
          .values({
            id: l.id,
            tenant_id: l.tenantId,
            user_id: l.userId,
            email: l.email,
            purpose: l.purpose,
            digest: l.secret.digest,
            key_id: l.secret.keyId,
            created_by: l.createdBy,
            created_at: l.createdAt,
            expires_at: l.expiresAt,
            used_at: l.usedAt,
            revoked_at: l.revokedAt,
            mail_sealed: l.mail.sealed,
            mail_status: l.mail.status,
            mail_attempts: l.mail.attempts,
            mail_next_at: l.mail.nextAt,
            mail_lease_until: null,
          })
          .execute();
      },
      async get(id) {
        const row = await db.selectFrom('credential_links').selectAll().where('id', '=', id).executeTakeFirst();
        return row && toLink(row);
      },
      async list(tenantId, limit) {
        const rows = await db
          .selectFrom('credential_links')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .execute();
        return rows.map(toLink);
      },
      async markUsed(id, at) {
        const r = await db
          .updateTable('credential_links')
          .set({ used_at: at })
          .where('id', '=', id)
          .where('used_at', 'is', null)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', at)
          .executeTakeFirst();
        return changed(r);
      },
      async markRevoked(tenantId, id, at) {
        const r = await db
          .updateTable('credential_links')
          .set({ revoked_at: at, mail_sealed: null })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('used_at', 'is', null)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        return changed(r);
      },
      async hasActivation(tenantId, userId) {
        const row = await db
          .selectFrom('credential_links')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .where('created_by', '=', 'activation')
          .executeTakeFirst();
        return row !== undefined;
      },
      async revokeOthers(tenantId, userId, purpose, keepId, at) {
        await db
          .updateTable('credential_links')
          .set({ revoked_at: at, mail_sealed: null })
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .where('purpose', '=', purpose)
          .where('id', '!=', keepId)
          .where('used_at', 'is', null)
          .where('revoked_at', 'is', null)
          .execute();
      },
      async dueMail(at, limit) {
        const rows = await db
          .selectFrom('credential_links')
          .selectAll()
          .where('mail_status', '=', 'queued')
          .where('mail_next_at', '<=', at)
          .where((eb) => eb.or([eb('mail_lease_until', 'is', null), eb('mail_lease_until', '<', at)]))
          .orderBy('mail_next_at')
          .limit(limit)
          .execute();
        return rows.map(toLink);
      },
      async claimMail(id, at, until) {
        const r = await db
          .updateTable('credential_links')
          .set({ mail_lease_until: until })
          .where('id', '=', id)
          .where('mail_status', '=', 'queued')
          .where((eb) => eb.or([eb('mail_lease_until', 'is', null), eb('mail_lease_until', '<', at)]))
          .executeTakeFirst();
        return changed(r);
      },
      async recordMail(id, outcome) {
        await db
          .updateTable('credential_links')
          .set({
            mail_status: outcome.status,
            mail_attempts: outcome.attempts,
            mail_next_at: outcome.nextAt,
            mail_lease_until: null,
            ...(outcome.status === 'queued' ? {} : { mail_sealed: null }),
          })
          .where('id', '=', id)
          .execute();
      },
    },
    passwords: {
      async put(p) {
        await db
          .insertInto('password_credentials')
          .values({
            tenant_id: p.tenantId,
            user_id: p.userId,
            login_key: p.loginKey,
            hash: p.hash,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'user_id'])
              .doUpdateSet({ login_key: p.loginKey, hash: p.hash, updated_at: p.updatedAt }),
          )
          .execute();
      },
      async get(tenantId, userId) {
        const row = await db
          .selectFrom('password_credentials')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return row && toPassword(row);
      },
      async findByLogin(tenantId, loginKey) {
        const row = await db
          .selectFrom('password_credentials')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('login_key', '=', loginKey)
          .executeTakeFirst();
        return row && toPassword(row);
      },
    },
    totp: {
      async put(t) {
        await db
          .insertInto('totp_factors')
          .values({
            tenant_id: t.tenantId,
            user_id: t.userId,
            secret_sealed: t.secretSealed,
            created_at: t.createdAt,
            confirmed_at: t.confirmedAt,
            last_used_step: t.lastUsedStep,
          })
          .onConflict((oc) =>
            oc.columns(['tenant_id', 'user_id']).doUpdateSet({
              secret_sealed: t.secretSealed,
              created_at: t.createdAt,
              confirmed_at: t.confirmedAt,
              last_used_step: t.lastUsedStep,
            }),
          )
          .execute();
      },
      async get(tenantId, userId) {
        const row = await db
          .selectFrom('totp_factors')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return (
          row && {
            tenantId: row.tenant_id,
            userId: row.user_id,
            secretSealed: row.secret_sealed,
            createdAt: row.created_at,
            confirmedAt: row.confirmed_at,
            lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
          }
        );
      },
      async confirm(tenantId, userId, at, step) {
        const r = await db
          .updateTable('totp_factors')
          .set({ confirmed_at: at, last_used_step: step })
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is', null)
          .executeTakeFirst();
        return changed(r);
      },
      async useStep(tenantId, userId, step) {
        // Compare-and-set on the step: two requests with the same code have exactly one winner.
        const r = await db
          .updateTable('totp_factors')
          .set({ last_used_step: step })
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
          .executeTakeFirst();
        return changed(r);
      },
    },
    enrolments: {
      async insert(e) {
        await db
          .insertInto('enrolment_sessions')
          .values({
            id: e.id,
            tenant_id: e.tenantId,
            user_id: e.userId,
            digest: e.secret.digest,
            key_id: e.secret.keyId,
            created_at: e.createdAt,
            expires_at: e.expiresAt,
          })
          .execute();
      },
      async get(id) {
        const row = await db.selectFrom('enrolment_sessions').selectAll().where('id', '=', id).executeTakeFirst();
        return (
          row && {
            id: row.id,
            tenantId: row.tenant_id,
            userId: row.user_id,
            secret: { keyId: row.key_id, digest: row.digest },
            createdAt: row.created_at,
            expiresAt: row.expires_at,
          }
        );
      },
      async delete(tenantId, id) {
        const r = await db
          .deleteFrom('enrolment_sessions')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      },
      async purgeBefore(at) {
        const r = await db.deleteFrom('enrolment_sessions').where('expires_at', '<', at).executeTakeFirst();
        return Number(r.numDeletedRows);
      },
    },
    activationCursor: {
      async claim(at, until) {
        await db
          .insertInto('credential_activation_cursor')
          .values({ id: 'feed', xid: '0', seq: '0', lease_until: null })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        const r = await db
          .updateTable('credential_activation_cursor')
          .set({ lease_until: until })
          .where('id', '=', 'feed')
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
          .executeTakeFirst();
        if (!changed(r)) return undefined;
        const row = await db
          .selectFrom('credential_activation_cursor')
          .select(['xid', 'seq'])
          .where('id', '=', 'feed')
          .executeTakeFirstOrThrow();
        return { xid: row.xid, seq: row.seq };
      },
      async advance(position) {
        await db
          .updateTable('credential_activation_cursor')
          .set({ xid: position.xid, seq: position.seq, lease_until: null })
          .where('id', '=', 'feed')
          .execute();
      },
    },
    credentialSettings: {
      async scimAloneMode(tenantId) {
        const row = await db
          .selectFrom('tenant_credential_settings')
          .select('scim_alone_mode')
          .where('tenant_id', '=', tenantId)
          .executeTakeFirst();
        return row === undefined ? undefined : Number(row.scim_alone_mode) === 1;
      },
      async putScimAloneMode(tenantId, on, at) {
        await db
          .insertInto('tenant_credential_settings')
          .values({ tenant_id: tenantId, scim_alone_mode: on ? 1 : 0, updated_at: at })
          .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ scim_alone_mode: on ? 1 : 0, updated_at: at }))
          .execute();
      },
    },
  };
}

function toPassword(row: Database['password_credentials']) {
  return {
    tenantId: row.tenant_id,
    userId: row.user_id,
    loginKey: row.login_key,
    hash: row.hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createCredentialStore(
  db: Kysely<Database>,
  repositoriesOn: (handle: Kysely<Database>) => { base: Repositories; scim: ScimRepositories },
): CredentialStore {
  const on = (handle: Kysely<Database>) => {
    const { base, scim } = repositoriesOn(handle);
    return credentialRepositories(handle, base, scim);
  };
  return {
    ...on(db),
    transaction: (work) => db.transaction().execute((trx) => work(on(trx))),
  };
}
