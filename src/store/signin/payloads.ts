// oidc-provider's stored state (sessions, grants, codes, tokens, interactions): one row per tenant, model and id.
// Every statement names its tenant. The token endpoint's per-request statements are fixed queries (compiled once per
// dialect; on SQLite, reads go to the read connection's cached prepared statements) — ADR 0049.
import type { Kysely } from 'kysely';
import type { OidcPayloadRepository } from '../../core/signin/ports.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, JsonColumn } from '../schema.ts';
import { createSubjectSessions } from './subject-sessions.ts';
import { findTokenWithGrant, type PayloadRow } from './token-with-grant.ts';

const json = (value: JsonColumn): Record<string, unknown> =>
  typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Expired rows are invisible before the sweep removes them; consumption is reported the way oidc-provider reads it. */
function present(row: PayloadRow | undefined): Record<string, unknown> | undefined {
  if (!row) return undefined;
  if (row.expires_at !== null && Number(row.expires_at) <= nowSeconds()) return undefined;
  const payload = json(row.payload);
  return row.consumed_at === null ? payload : { ...payload, consumed: Number(row.consumed_at) };
}

type RowKey = { tenantId: string; model: string; id: string };
type Lookup = 'id' | 'uid' | 'user_code';

/**
 * What oidc-provider finds, then consumes: single-use. Their reads stay on the writer (`onWriter`), where a read
 * waits for a group commit in progress, so a second use sees a consume being committed, as before ADR 0049.
 */
const SINGLE_USE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** `q` reads (on SQLite, the read connection outside a transaction) and writes; `onWriter` reads single-use rows. */
export function createPayloadRepository(
  db: Kysely<Database>,
  q: FixedQueries,
  onWriter: FixedQueries = q,
): OidcPayloadRepository {
  const sessions = createSubjectSessions(db);
  /** One row by its key, its uid or its user code: each an index search (test/contract/signin-payloads.test.ts). */
  const findBy = async (column: Lookup, tenantId: string, model: string, value: string) => {
    const key = { tenantId, model, value };
    const row = await (SINGLE_USE.has(model) ? onWriter : q).first<PayloadRow, typeof key>(
      `oidc_payloads.findBy.${column}`,
      (p) =>
        db
          .selectFrom('oidc_payloads')
          .select(['payload', 'consumed_at', 'expires_at'])
          .where('tenant_id', '=', p('tenantId'))
          .where('model', '=', p('model'))
          .where(column, '=', p('value')),
      key,
    );
    return present(row);
  };
  return {
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
      const row = { tenant_id: tenantId, model, id, ...values };
      await q.write(
        'oidc_payloads.upsert',
        (p) => {
          const changed = {
            payload: p('payload'),
            grant_id: p('grant_id'),
            uid: p('uid'),
            user_code: p('user_code'),
            account_id: p('account_id'),
            expires_at: p('expires_at'),
            consumed_at: p('consumed_at'),
          };
          return db
            .insertInto('oidc_payloads')
            .values(p.fields(row))
            .onConflict((c) => c.columns(['tenant_id', 'model', 'id']).doUpdateSet(changed));
        },
        row,
      );
    },
    find: (tenantId, model, id) => findBy('id', tenantId, model, id),
    findWithGrant: (tenantId, model, id) =>
      findTokenWithGrant(db, SINGLE_USE.has(model) ? onWriter : q, present, { tenantId, model, id }),
    findByUid: (tenantId, model, uid) => findBy('uid', tenantId, model, uid),
    findByUserCode: (tenantId, model, userCode) => findBy('user_code', tenantId, model, userCode),
    async consume(tenantId, model, id, at) {
      // Only an unconsumed row: of two redemptions that both found it unconsumed, exactly one consumes it.
      const key = { tenantId, model, id, at };
      const changed = await q.writeCount(
        'oidc_payloads.consume',
        (p) =>
          db
            .updateTable('oidc_payloads')
            .set({ consumed_at: p('at') })
            .where('tenant_id', '=', p('tenantId'))
            .where('model', '=', p('model'))
            .where('id', '=', p('id'))
            .where('consumed_at', 'is', null),
        key,
      );
      return changed > 0;
    },
    async take(tenantId, model, id) {
      // DELETE … RETURNING answers rows, so it stays on the writer as a built query (sign-in steps only, not tokens).
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
      const key: RowKey = { tenantId, model, id };
      await q.write(
        'oidc_payloads.destroy',
        (p) =>
          db
            .deleteFrom('oidc_payloads')
            .where('tenant_id', '=', p('tenantId'))
            .where('model', '=', p('model'))
            .where('id', '=', p('id')),
        key,
      );
    },
    async revokeByGrantId(tenantId, grantId) {
      const key = { tenantId, grantId };
      await q.write(
        'oidc_payloads.revokeByGrantId',
        (p) =>
          db.deleteFrom('oidc_payloads').where('tenant_id', '=', p('tenantId')).where('grant_id', '=', p('grantId')),
        key,
      );
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
  };
}
