// Every SQL statement this test process sends to either database driver, with its parameters: better-sqlite3
// statements (both the writer and the read connection) and pg client queries. Instrumentation at the driver
// boundary, not a mock: the statements still run.
import Database from 'better-sqlite3';
import pg from 'pg';

export interface LoggedQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

const queries: LoggedQuery[] = [];
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const original = statementProto[method] as (...args: unknown[]) => unknown;
    statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
      queries.push({ sql: this.source, parameters: args.flat() });
      return original.apply(this, args);
    };
  }
  const dbProto = Database.prototype as unknown as Record<string, unknown>;
  const exec = dbProto.exec as (sql: string) => unknown;
  dbProto.exec = function (this: unknown, sql: string) {
    queries.push({ sql, parameters: [] });
    return exec.call(this, sql);
  };
  const clientProto = pg.Client.prototype as unknown as Record<string, unknown>;
  const query = clientProto.query as (...args: unknown[]) => unknown;
  clientProto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    const values = Array.isArray(second) ? second : ((first as { values?: unknown[] } | undefined)?.values ?? []);
    queries.push({ sql: text, parameters: values });
    return query.apply(this, args);
  };
}

// Installed on import, before any connection is made: a pg client made earlier keeps the query it bound when it
// connected (postgres.ts binds it to name statements), so hooks installed later would never see its statements.
install();

/** Starts recording; returns a view of what ran since. */
export function recordQueries(): { readonly all: () => readonly LoggedQuery[]; reset(): void } {
  install();
  const start = queries.length;
  let from = start;
  return {
    all: () => queries.slice(from),
    reset() {
      from = queries.length;
    },
  };
}
