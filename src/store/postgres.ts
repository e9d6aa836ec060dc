// PostgreSQL connection pool: synchronous_commit on (the server default), statement and lock timeouts per session.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
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
  });
  return { db: new Kysely<Database>({ dialect: withTracing(new PostgresDialect({ pool }), 'postgresql') }), pool };
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
    code === '40P01' // deadlock detected
  );
}

export function isPostgresUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '23505';
}
