// Bulk sign-in state: N rows of oidc_payloads shaped as the adapter writes them (the same columns lifted out of the
// same payload), inserted directly in multi-row statements — for plan tests and the benchmark's growth runs.
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/store/schema.ts';

/** One row as oidc-provider hands it to the adapter: its model and payload (jti, uid, grantId, accountId …). */
export interface PayloadTemplate {
  readonly model: string;
  readonly payload: Record<string, unknown>;
}

const str = (value: unknown) => (typeof value === 'string' ? value : null);
const token = () => randomBytes(32).toString('base64url');

/**
 * Oidc-provider payloads of a Session, a Grant and a RefreshToken for one account, as one sign-in with
 * offline_access leaves them (field names as oidc-provider 9 writes; the bench takes real ones from a live sign-in).
 */
export function syntheticTemplates(clientId: string, accountId: string, at: number): PayloadTemplate[] {
  const grantId = token();
  const uid = token();
  return [
    {
      model: 'Session',
      payload: {
        iat: at,
        exp: at + 1_209_600,
        uid,
        kind: 'Session',
        jti: token(),
        accountId,
        loginTs: at,
        authorizations: { [clientId]: { sid: token(), grantId, persistsLogout: false } },
      },
    },
    {
      model: 'Grant',
      payload: {
        iat: at,
        exp: at + 1_209_600,
        accountId,
        clientId,
        kind: 'Grant',
        jti: grantId,
        openid: { scope: 'openid profile email offline_access' },
      },
    },
    {
      model: 'RefreshToken',
      payload: {
        iat: at,
        exp: at + 1_209_600,
        accountId,
        clientId,
        kind: 'RefreshToken',
        jti: token(),
        grantId,
        gty: 'authorization_code',
        scope: 'openid profile email offline_access',
        sessionUid: uid,
        sid: token(),
        authTime: at,
        iiat: at,
        rotations: 0,
        expiresWithSession: false,
      },
    },
  ];
}

/**
 * Inserts `count` copies of each template with fresh ids: every copy gets its own jti (the row id), uid, grant
 * and account, so the secondary indexes are as selective as in real life. `expiresAt` is each row's expiry.
 */
export async function insertPayloadRows(
  db: Kysely<Database>,
  tenantId: string,
  templates: readonly PayloadTemplate[],
  count: number,
  expiresAt: number,
  batch = 500,
): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const grantId = token();
      const uid = token();
      const accountId = `bulk-account-${i}`;
      for (const t of templates) {
        const payload: Record<string, unknown> = { ...t.payload, jti: t.model === 'Grant' ? grantId : token() };
        if ('uid' in payload) payload.uid = uid;
        if ('sessionUid' in payload) payload.sessionUid = uid;
        if ('grantId' in payload) payload.grantId = grantId;
        if ('accountId' in payload) payload.accountId = accountId;
        rows.push(
          sql`(${tenantId}, ${t.model}, ${payload.jti}, ${JSON.stringify(payload)}, ${str(payload.grantId)}, ${str(payload.uid)}, ${null}, ${str(payload.accountId)}, ${expiresAt}, ${null})`,
        );
      }
    }
    await sql`insert into oidc_payloads (tenant_id, model, id, payload, grant_id, uid, user_code, account_id, expires_at, consumed_at) values ${sql.join(rows)}`.execute(
      db,
    );
  }
}
