// Query spans for both stores (ADR 0034): a Kysely dialect wrapper, since better-sqlite3 has no instrumentation and
// one wrapper keeps the two stores' spans alike. A span carries the SQL text Kysely compiled — placeholders, never
// the parameter values — and an error's code, never its message (which can quote a value).
import { type Span, SpanKind, type SpanOptions, SpanStatusCode } from '@opentelemetry/api';
import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { rosterTracer, tracingActive } from '../lib/tracing.ts';
import type { Reader } from './fixed-queries.ts';

type System = 'sqlite' | 'postgresql';

/**
 * A query's CLIENT span: named and labelled by its first keyword; the SQL text has placeholders, and parameter values
 * are never read.
 */
function querySpan(system: string, sql: string): { name: string; options: SpanOptions } {
  const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'query';
  const attributes = { 'db.system.name': system, 'db.operation.name': operation, 'db.query.text': sql };
  return { name: `${operation} ${system}`, options: { kind: SpanKind.CLIENT, attributes } };
}

/** A failed query: the driver's error code only, never its message (a unique violation's message can quote a value). */
function recordQueryError(span: Span, error: unknown): void {
  const code = (error as { code?: unknown }).code;
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute('error.type', typeof code === 'string' ? code : 'error');
}

function traced(inner: DatabaseConnection, system: System): DatabaseConnection {
  const tracer = rosterTracer();
  return {
    executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const { name, options } = querySpan(system, query.sql);
      return tracer.startActiveSpan(name, options, async (span: Span) => {
        try {
          return await inner.executeQuery<R>(query);
        } catch (error) {
          recordQueryError(span, error);
          throw error;
        } finally {
          span.end();
        }
      });
    },
    streamQuery: (query, chunkSize) => inner.streamQuery(query, chunkSize),
  };
}

class TracedDriver implements Driver {
  /** The driver's own connection behind each wrapper: releasing needs it (pg's release is a private method). */
  private readonly inner = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly driver: Driver,
    private readonly system: System,
  ) {}

  init(): Promise<void> {
    return this.driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.driver.acquireConnection();
    const wrapper = traced(connection, this.system);
    this.inner.set(wrapper, connection);
    return wrapper;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.driver.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.driver.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.driver.rollbackTransaction(connection);
  }

  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.driver.savepoint!(connection, name, compile);
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.driver.rollbackToSavepoint!(connection, name, compile);
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.driver.releaseSavepoint!(connection, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(this.inner.get(connection) ?? connection);
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }
}

export function tracedDialect(dialect: Dialect, system: System): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new TracedDriver(dialect.createDriver(), system),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}

/** The dialect itself while tracing is off: no wrapper, no cost. */
export function withTracing(dialect: Dialect, system: System): Dialect {
  return tracingActive() ? tracedDialect(dialect, system) : dialect;
}

/** The same spans for SQLite's synchronous read connection (fixed-queries.ts), which bypasses Kysely. */
export function withReaderTracing<R extends Reader>(reader: R): R {
  if (!tracingActive()) return reader;
  const tracer = rosterTracer();
  const run =
    <T>(read: (sql: string, parameters: readonly unknown[]) => T) =>
    (sql: string, parameters: readonly unknown[]): T => {
      const { name, options } = querySpan('sqlite', sql);
      return tracer.startActiveSpan(name, options, (span) => {
        try {
          return read(sql, parameters);
        } catch (error) {
          recordQueryError(span, error);
          throw error;
        } finally {
          span.end();
        }
      });
    };
  return { ...reader, first: run(reader.first), all: run(reader.all) };
}
