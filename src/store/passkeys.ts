// Passkeys and WebAuthn challenges on Kysely (migration 0016, ADR 0042): every query names its tenant.
import type { Kysely } from 'kysely';
import type { ChallengePurpose, PasskeyRecord, PasskeyStore } from '../core/credentials/passkey-ports.ts';
import type { DialectTraits } from './repositories.ts';
import type { Database, PasskeyCredentialsTable } from './schema.ts';

function toPasskey(row: PasskeyCredentialsTable): PasskeyRecord {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    signCount: Number(row.sign_count),
    transports: row.transports === '' ? [] : row.transports.split(' '),
    deviceType: row.device_type,
    backedUp: row.backed_up === 1,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function createPasskeyStore(db: Kysely<Database>, traits: DialectTraits): PasskeyStore {
  return {
    passkeys: {
      async insert(p) {
        try {
          await db
            .insertInto('passkey_credentials')
            .values({
              tenant_id: p.tenantId,
              id: p.id,
              user_id: p.userId,
              credential_id: p.credentialId,
              public_key: p.publicKey,
              sign_count: p.signCount,
              transports: p.transports.join(' '),
              device_type: p.deviceType,
              backed_up: p.backedUp ? 1 : 0,
              name: p.name,
              created_at: p.createdAt,
              last_used_at: p.lastUsedAt,
            })
            .execute();
          return true;
        } catch (error) {
          if (traits.isUniqueViolation(error)) return false;
          throw error;
        }
      },
      async byCredentialId(tenantId, credentialId) {
        const row = await db
          .selectFrom('passkey_credentials')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('credential_id', '=', credentialId)
          .executeTakeFirst();
        return row && toPasskey(row);
      },
      async listForUser(tenantId, userId) {
        const rows = await db
          .selectFrom('passkey_credentials')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        return rows.map(toPasskey);
      },
      async recordUse(tenantId, id, fromCount, use) {
        const r = await db
          .updateTable('passkey_credentials')
          .set({ sign_count: use.signCount, backed_up: use.backedUp ? 1 : 0, last_used_at: use.at })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('sign_count', '=', fromCount)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) > 0;
      },
      async rename(tenantId, userId, id, name) {
        const r = await db
          .updateTable('passkey_credentials')
          .set({ name })
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .where('id', '=', id)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) > 0;
      },
      async delete(tenantId, userId, id) {
        const r = await db
          .deleteFrom('passkey_credentials')
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId)
          .where('id', '=', id)
          .executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      },
    },
    challenges: {
      async insert(c) {
        await db
          .insertInto('webauthn_challenges')
          .values({
            tenant_id: c.tenantId,
            challenge: c.challenge,
            purpose: c.purpose,
            bound_to: c.boundTo,
            expires_at: c.expiresAt,
          })
          .execute();
      },
      async take(tenantId, challenge) {
        const row = await db
          .deleteFrom('webauthn_challenges')
          .where('tenant_id', '=', tenantId)
          .where('challenge', '=', challenge)
          .returningAll()
          .executeTakeFirst();
        return (
          row && {
            tenantId: row.tenant_id,
            challenge: row.challenge,
            purpose: row.purpose as ChallengePurpose,
            boundTo: row.bound_to,
            expiresAt: row.expires_at,
          }
        );
      },
      async purgeExpired(at, limit) {
        const doomed = db
          .selectFrom('webauthn_challenges')
          .select(['tenant_id', 'challenge'])
          .where('expires_at', '<', at)
          .limit(limit);
        const r = await db
          .deleteFrom('webauthn_challenges')
          .where((eb) => eb(eb.refTuple('tenant_id', 'challenge'), 'in', doomed.$asTuple('tenant_id', 'challenge')))
          .executeTakeFirst();
        return Number(r.numDeletedRows);
      },
    },
  };
}
