// SQLite connection: WAL + synchronous=FULL (an acknowledged write survives power loss), BEGIN IMMEDIATE writers.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, Kysely, SqliteDialect, SqliteDriver } from 'kysely';
import { setBounded } from '../lib/bounded-map.ts';
import type { Reader } from './fixed-queries.ts';
import type { Database } from './schema.ts';
import { withReaderTracing, withTracing } from './traced-dialect.ts';

/**
 * A plain BEGIN takes the write lock lazily, at the first write, which can fail mid-transaction with SQLITE_BUSY;
 * BEGIN IMMEDIATE takes it up front so a write transaction either starts or waits (busy_timeout) — never half-runs.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** How many distinct SQL texts keep a prepared statement (filters with IN-lists of many lengths churn the rest). */
export const STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely prepares every query anew; preparing costs as much as running a point lookup. Statements are reusable
 * on the single connection (queries run one at a time and never stream), so they are cached by SQL text.
 */
function withStatementCache(raw: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string): BetterSqlite3.Statement {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql); // re-insert: Map order is the LRU order
      } else {
        statement = raw.prepare(sql);
      }
      setBounded(cache, sql, statement, STATEMENT_CACHE_SIZE);
      return statement;
    },
  };
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #database: ReturnType<typeof withStatementCache>;
  constructor(database: BetterSqlite3.Database) {
    const cached = withStatementCache(database);
    super({ database: cached });
    this.#database = cached;
  }
  override createDriver() {
    return new ImmediateSqliteDriver({ database: this.#database });
  }
}

export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export function openSqlite(path: string): { db: Kysely<Database>; raw: BetterSqlite3.Database } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return { db: new Kysely<Database>({ dialect: withTracing(new ImmediateSqliteDialect(raw), 'sqlite') }), raw };
}

/**
 * A second connection for reads outside transactions. Under WAL it reads the last committed state without waiting
 * for the writer, and without Kysely's connection queue: a point lookup is one synchronous prepared statement.
 * It cannot see a transaction in progress on the writer — which is the isolation a read outside one must have.
 */
export function openSqliteReader(path: string): Reader & { close(): void } {
  const raw = new BetterSqlite3(path);
  raw.pragma('query_only = ON');
  raw.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  const statements = withStatementCache(raw);
  return withReaderTracing({
    first: (sql, parameters) => statements.prepare(sql).get(...parameters),
    all: (sql, parameters) => statements.prepare(sql).all(...parameters),
    close: () => raw.close(),
  });
}

/** Errors that mean "the database cannot serve now" rather than "this request is wrong". */
export function isSqliteUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    typeof code === 'string' &&
    ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY'].some((c) =>
      code.startsWith(c),
    )
  );
}

export function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
