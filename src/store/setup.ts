// The setup features' repositories (migration 0010, ADR 0029): setup links, test sign-ins and the checklist's facts.
import { type Kysely, sql } from 'kysely';
import type { Repositories } from '../core/ports.ts';
import type {
  SetupFacts,
  SetupLinkRecord,
  SetupRepositories,
  SetupStore,
  TestSignInRecord,
} from '../core/setup/ports.ts';
import type { Database, SetupLinksTable, SsoTestSigninsTable } from './schema.ts';

function toLink(row: SetupLinksTable): SetupLinkRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    secret: { keyId: row.key_id, digest: row.digest },
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

function toTestSignIn(row: SsoTestSigninsTable): TestSignInRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    providerId: row.provider_id,
    scheme: row.scheme,
    startKey: { keyId: row.start_key_id, digest: row.start_digest },
    browserKey:
      row.browser_digest === null || row.browser_key_id === null
        ? null
        : { keyId: row.browser_key_id, digest: row.browser_digest },
    status: row.status as TestSignInRecord['status'],
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome === null ? null : JSON.parse(row.outcome),
  };
}

const changed = (result: { numUpdatedRows: bigint }) => Number(result.numUpdatedRows) > 0;

/** The oldest row of an index prefix, or null. */
async function oldest(query: { executeTakeFirst(): Promise<{ at: string } | undefined> }): Promise<string | null> {
  return (await query.executeTakeFirst())?.at ?? null;
}

async function facts(db: Kysely<Database>, tenantId: string, now: string): Promise<SetupFacts> {
  const [provider, confirmed, token, used, request, created, signIn] = await Promise.all([
    oldest(
      db
        .selectFrom('sso_providers')
        .select('created_at as at')
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at')
        .limit(1),
    ),
    db
      .selectFrom('tenant_setup')
      .select('redirect_uri_confirmed_at as at')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst(),
    oldest(
      db
        .selectFrom('scim_tokens')
        .select('created_at as at')
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('created_at')
        .limit(1),
    ),
    db
      .selectFrom('scim_tokens')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('last_used_at', 'is not', null)
      .limit(1)
      .executeTakeFirst(),
    // Walks (tenant_id, id) from the oldest entry to the first authenticated one: before it there are only failed
    // authentications, aggregated one row per minute and reason (core/scim/auth-failures.ts).
    oldest(
      db
        .selectFrom('scim_log')
        .select('at')
        .where('tenant_id', '=', tenantId)
        .where('token_id', 'is not', null)
        .orderBy('id')
        .limit(1),
    ),
    // Literals, not parameters: a planner can use a partial index only when it sees the query implies its predicate.
    oldest(
      db
        .selectFrom('scim_log')
        .select('at')
        .where('tenant_id', '=', tenantId)
        .where('operation', '=', sql.lit('create'))
        .where('resource_type', '=', sql.lit('User'))
        .where('status', '=', sql.lit(201))
        .orderBy('id')
        .limit(1),
    ),
    oldest(
      db
        .selectFrom('upstream_identities')
        .select('created_at as at')
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at')
        .limit(1),
    ),
  ]);
  const directory = await oldest(
    db
      .selectFrom('directory_connections')
      .select('created_at as at')
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .limit(1),
  );
  return {
    firstProviderAt: provider,
    redirectUriConfirmedAt: confirmed?.at ?? null,
    firstLiveScimTokenAt: token,
    scimTokenUsed: used !== undefined,
    firstScimRequestAt: request,
    firstUserProvisionedAt: created ?? (used ? await scimCreatedUserAt(db, tenantId) : null),
    firstSignInAt: signIn,
    firstDirectoryAt: directory,
  };
}

/**
 * When the log's retention has purged every create: a user SCIM created, if any. Asked only of a tenant whose SCIM
 * tokens have been used, whose users are then SCIM's (the walk in id order stops at the first one).
 */
async function scimCreatedUserAt(db: Kysely<Database>, tenantId: string): Promise<string | null> {
  return oldest(
    db
      .selectFrom('scim_users')
      .select('created_at as at')
      .where('tenant_id', '=', tenantId)
      .where('created_by_token', 'is not', null)
      .orderBy('id')
      .limit(1),
  );
}

function setupRepositories(db: Kysely<Database>) {
  return {
    setupLinks: {
      async insert(link: SetupLinkRecord) {
        await db
          .insertInto('setup_links')
          .values({
            id: link.id,
            tenant_id: link.tenantId,
            digest: link.secret.digest,
            key_id: link.secret.keyId,
            created_by: link.createdBy,
            created_at: link.createdAt,
            expires_at: link.expiresAt,
            used_at: link.usedAt,
            revoked_at: link.revokedAt,
          })
          .execute();
      },
      async get(id: string) {
        const row = await db.selectFrom('setup_links').selectAll().where('id', '=', id).executeTakeFirst();
        return row && toLink(row);
      },
      async list(tenantId: string) {
        const rows = await db
          .selectFrom('setup_links')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        return rows.map(toLink);
      },
      // One conditional UPDATE: PostgreSQL's second writer waits for the first's row lock and re-checks the WHERE
      // against the committed row; SQLite runs writers one at a time. Either way exactly one caller changes it.
      async markUsed(id: string, at: string) {
        return changed(
          await db
            .updateTable('setup_links')
            .set({ used_at: at })
            .where('id', '=', id)
            .where('used_at', 'is', null)
            .where('revoked_at', 'is', null)
            .where('expires_at', '>', at)
            .executeTakeFirst(),
        );
      },
      async markRevoked(tenantId: string, id: string, at: string) {
        return changed(
          await db
            .updateTable('setup_links')
            .set({ revoked_at: at })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', id)
            .where('used_at', 'is', null)
            .where('revoked_at', 'is', null)
            .executeTakeFirst(),
        );
      },
      // A few rows per tenant, so no expiry index: the batch's select walks a small table.
      async purgeExpired(before: string, limit: number) {
        const batch = db.selectFrom('setup_links').select('id').where('expires_at', '<', before).limit(limit);
        const r = await db.deleteFrom('setup_links').where('id', 'in', batch).executeTakeFirst();
        return Number(r.numDeletedRows);
      },
    },
    testSignIns: {
      async insert(r: TestSignInRecord) {
        await db
          .insertInto('sso_test_signins')
          .values({
            tenant_id: r.tenantId,
            id: r.id,
            provider_id: r.providerId,
            scheme: r.scheme,
            start_digest: r.startKey.digest,
            start_key_id: r.startKey.keyId,
            browser_digest: r.browserKey?.digest ?? null,
            browser_key_id: r.browserKey?.keyId ?? null,
            status: r.status,
            created_by: r.createdBy,
            created_at: r.createdAt,
            expires_at: r.expiresAt,
            started_at: r.startedAt,
            finished_at: r.finishedAt,
            outcome: r.outcome === null ? null : JSON.stringify(r.outcome),
          })
          .execute();
      },
      async get(tenantId: string, id: string) {
        const row = await db
          .selectFrom('sso_test_signins')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
        return row && toTestSignIn(row);
      },
      async markStarted(tenantId: string, id: string, browserKey: { keyId: string; digest: string }, at: string) {
        return changed(
          await db
            .updateTable('sso_test_signins')
            .set({
              status: 'started',
              started_at: at,
              browser_digest: browserKey.digest,
              browser_key_id: browserKey.keyId,
            })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', id)
            .where('status', '=', 'pending')
            .where('expires_at', '>', at)
            .executeTakeFirst(),
        );
      },
      async markFinished(tenantId: string, id: string, outcome: TestSignInRecord['outcome'], at: string) {
        return changed(
          await db
            .updateTable('sso_test_signins')
            .set({ status: 'finished', finished_at: at, outcome: JSON.stringify(outcome) })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', id)
            .where('status', '=', 'started')
            .executeTakeFirst(),
        );
      },
      async purgeExpired(before: string, limit: number) {
        const batch = db
          .selectFrom('sso_test_signins')
          .select(['tenant_id', 'id'])
          .where('expires_at', '<', before)
          .limit(limit);
        const r = await db
          .deleteFrom('sso_test_signins')
          .where((eb) => eb(eb.refTuple('tenant_id', 'id'), 'in', batch.$asTuple('tenant_id', 'id')))
          .executeTakeFirst();
        return Number(r.numDeletedRows);
      },
    },
    setupProgress: {
      facts: (tenantId: string, now: string) => facts(db, tenantId, now),
      async confirmRedirectUri(tenantId: string, at: string, actor: string) {
        await db
          .insertInto('tenant_setup')
          .values({ tenant_id: tenantId, redirect_uri_confirmed_at: at, redirect_uri_confirmed_by: actor })
          .onConflict((oc) =>
            oc
              .column('tenant_id')
              .doUpdateSet({ redirect_uri_confirmed_at: at, redirect_uri_confirmed_by: actor })
              .where('tenant_setup.redirect_uri_confirmed_at', 'is', null),
          )
          .execute();
      },
    },
  };
}

export function createSetupStore(
  db: Kysely<Database>,
  repositoriesIn: (handle: Kysely<Database>) => Repositories,
): SetupStore {
  return {
    ...setupRepositories(db),
    transaction: <T>(work: (tx: SetupRepositories) => Promise<T>) =>
      db.transaction().execute((trx) => work({ ...repositoriesIn(trx), ...setupRepositories(trx) })),
  };
}
