// A subject's sign-in sessions and tokens (oidc-provider payloads by account), ended when SCIM deactivates or deletes it.
import type { Kysely } from 'kysely';
import type { SubjectSessions } from '../../core/scim/ports.ts';
import type { Database } from '../schema.ts';

export function createSubjectSessions(db: Kysely<Database>): SubjectSessions {
  return {
    async revoke(tenantId, userId) {
      const r = await db
        .deleteFrom('oidc_payloads')
        .where('tenant_id', '=', tenantId)
        .where('account_id', '=', userId)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
