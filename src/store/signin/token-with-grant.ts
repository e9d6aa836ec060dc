// A code or refresh token, its grant and its subject in one statement: the three rows the token endpoint reads for
// one grant, by primary key each (ADR 0058). Every join stays inside the token's tenant.
import type { Kysely } from 'kysely';
import type { TokenWithGrant } from '../../core/signin/ports.ts';
import type { FixedQueries } from '../fixed-queries.ts';
import type { Database, JsonColumn, ScimUsersTable } from '../schema.ts';
import { aliasedColumns, readColumns, toUser } from '../scim/rows.ts';

const USER = readColumns('scim_users');
/** The subject's columns come prefixed, beside the token's and the grant's. */
const userAlias = (column: string) => `subject_${column}`;

export interface PayloadRow {
  payload: JsonColumn;
  consumed_at: unknown;
  expires_at: unknown;
}

type Joined = PayloadRow & {
  grant_payload: JsonColumn | null;
  grant_consumed_at: unknown;
  grant_expires_at: unknown;
} & Record<string, unknown>;

/**
 * `present` turns a payload row into what oidc-provider reads (undefined when expired); `q` is the connection the
 * token's own reads use (the writer, for single-use tokens: ADR 0049).
 */
export async function findTokenWithGrant(
  db: Kysely<Database>,
  q: FixedQueries,
  present: (row: PayloadRow | undefined) => Record<string, unknown> | undefined,
  key: { tenantId: string; model: string; id: string },
): Promise<TokenWithGrant | undefined> {
  const parameters = { ...key, grantModel: 'Grant' };
  const row = await q.first<Joined, typeof parameters>(
    'oidc_payloads.findWithGrant',
    (p) =>
      db
        .selectFrom('oidc_payloads as t')
        .leftJoin('oidc_payloads as g', (j) =>
          j
            .onRef('g.tenant_id', '=', 't.tenant_id')
            .on('g.model', '=', p('grantModel'))
            .onRef('g.id', '=', 't.grant_id'),
        )
        .leftJoin('scim_users as u', (j) =>
          j.onRef('u.tenant_id', '=', 't.tenant_id').onRef('u.id', '=', 't.account_id'),
        )
        .select([
          't.payload',
          't.consumed_at',
          't.expires_at',
          'g.payload as grant_payload',
          'g.consumed_at as grant_consumed_at',
          'g.expires_at as grant_expires_at',
          ...(USER.map((c) => `u.${c} as ${userAlias(c)}`) as 't.payload'[]),
        ])
        .where('t.tenant_id', '=', p('tenantId'))
        .where('t.model', '=', p('model'))
        .where('t.id', '=', p('id')),
    parameters,
  );
  const token = present(row);
  if (!row || !token) return undefined;
  const grant =
    row.grant_payload === null
      ? undefined
      : present({ payload: row.grant_payload, consumed_at: row.grant_consumed_at, expires_at: row.grant_expires_at });
  let subject: TokenWithGrant['subject'];
  if (row[userAlias('id')] !== null && row[userAlias('id')] !== undefined) {
    subject = toUser(aliasedColumns(row, USER, userAlias) as unknown as ScimUsersTable);
  }
  return { token, grant, subject };
}
