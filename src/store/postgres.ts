// PostgreSQL connection pool: synchronous_commit on (the server default), statement and lock timeouts per session.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { renameStatement, statementName } from './statement-names.ts';
import { withTracing } from './traced-dialect.ts';

export const PG_STATEMENT_TIMEOUT_MS = 10_000;

export function openPostgres(
  url: string,
  options: { max?: number; statementTimeoutMs?: number | undefined } = {},
): { db: Kysely<Database>; pool: pg.Pool } {
  const timeout = options.statementTimeoutMs ?? PG_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: timeout,
    lock_timeout: timeout,
    idle_in_transaction_session_timeout: 60_000,
  });
  // A client losing its server (restart, failover, terminated backend) must not crash the process: idle ones
  // report through the pool, busy ones through the client itself. The query in flight still fails, as
  // "unavailable" (→ 503), and the pool opens fresh connections for the next requests.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    preparesNamedStatements(client);
  });
  return { db: new Kysely<Database>({ dialect: withTracing(new PostgresDialect({ pool }), 'postgresql') }), pool };
}

/** PostgreSQL refused a prepared plan: a table it reads changed shape since it was prepared (a migration). */
const isStalePlan = (error: unknown) =>
  (error as { code?: unknown })?.code === '0A000' &&
  /cached plan must not change result type/.test(String((error as { message?: unknown }).message));
/** The session lost its prepared statements (a pooler reset it with DISCARD ALL). */
const isLostStatement = (error: unknown) => (error as { code?: unknown })?.code === '26000';

/**
 * Runs the named texts (statement-names.ts) as prepared statements on this connection: parsed and planned on first
 * use, then only bound and run (ADR 0061). Kysely's driver calls `query(text, values)`; any other text, and any
 * other call, goes through unchanged.
 * - A plan made stale by a migration: the text gets a new name everywhere; outside a transaction the query is run
 *   again under it, inside one it fails as "unavailable" (503), as the transaction is already aborted.
 * - A session that lost its statements: this connection stops naming, and the query is run again unnamed.
 */
function preparesNamedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  let naming = true;
  const named = async (name: string, text: string, values: unknown[]) => {
    try {
      return await query({ name, text, values });
    } catch (error) {
      const idle = client.getTransactionStatus() === 'I';
      if (isStalePlan(error)) {
        renameStatement(text);
        if (idle) return query({ name: statementName(text), text, values });
      } else if (isLostStatement(error)) {
        naming = false;
        if (idle) return query(text, values);
      }
      throw error;
    }
  };
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    const name = naming && args.length === 2 && typeof text === 'string' ? statementName(text) : undefined;
    return name !== undefined && Array.isArray(values) ? named(name, text as string, values) : query(...args);
  };
}

/** Connection loss, shutdown, timeouts, disk full: the database cannot serve now. */
export function isPostgresUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') {
    const message = (error as { message?: unknown })?.message;
    return (
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable/i.test(
        message,
      )
    );
  }
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code) ||
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources (disk full, too many connections)
    code.startsWith('57') || // operator intervention (shutdown, statement timeout 57014)
    code === '55P03' || // lock_not_available
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock detected
    // A prepared plan gone stale or lost in a transaction (ADR 0061): the retry runs under a new name, or unnamed.
    isStalePlan(error) ||
    isLostStatement(error)
  );
}

export function isPostgresUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '23505';
}
