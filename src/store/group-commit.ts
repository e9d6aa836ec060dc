// Group commit for SQLite: write transactions that arrive together share one BEGIN IMMEDIATE … COMMIT, each in
// its own savepoint, and each is acknowledged only after that COMMIT. One fsync then covers many writes, which is
// what lets durable writes (synchronous=FULL) go faster than the disk's commit rate.
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';

interface Pending<C> {
  readonly work: (context: C) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Most transactions one commit may carry; bounds how long a batch holds the write lock. */
export const MAX_GROUP = 128;

/**
 * `C` is what each transaction works through (the SCIM repositories on the batch's connection); it is made once per
 * batch by `contextOf`, since every transaction of a batch runs on the same connection, one after another.
 */
export class GroupCommitter<C> {
  private queue: Pending<C>[] = [];
  private draining = false;
  /** Commits issued so far (for tests and metrics). */
  commits = 0;
  /** Wall milliseconds the event loop spent inside COMMIT (the WAL write and its fsync), for the write-path bench. */
  commitMs = 0;
  /** Told each committed batch's size (the metrics' group-commit histogram, ADR 0033). */
  onCommit: (size: number) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    private readonly contextOf: (conn: Kysely<Database>) => C,
  ) {}

  run<T>(work: (context: C) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the requests already read from their sockets reach this queue first: they join this commit.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_GROUP);
        let outcomes: Outcome[];
        try {
          outcomes = await this.db.connection().execute((conn) => this.commit(conn, batch));
        } catch (error) {
          // BEGIN or COMMIT failed (busy beyond the timeout, disk full, I/O): nothing of the batch is durable.
          outcomes = batch.map(() => ({ ok: false, error }));
        }
        batch.forEach((item, i) => {
          const outcome = outcomes[i]!;
          if (outcome.ok) item.resolve(outcome.value);
          else item.reject(outcome.error);
        });
        // The commit blocked the event loop (fsync); requests that arrived meanwhile are parsed before the next batch.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(conn: Kysely<Database>, batch: readonly Pending<C>[]): Promise<Outcome[]> {
    await sql`begin immediate`.execute(conn);
    const context = this.contextOf(conn);
    const outcomes: Outcome[] = [];
    try {
      for (const item of batch) {
        await sql`savepoint g`.execute(conn);
        try {
          const value = await item.work(context);
          await sql`release g`.execute(conn);
          outcomes.push({ ok: true, value });
        } catch (error) {
          // Only this transaction's writes are undone; the others in the batch go on.
          await sql`rollback to g`.execute(conn);
          await sql`release g`.execute(conn);
          outcomes.push({ ok: false, error });
        }
      }
      const started = performance.now();
      await sql`commit`.execute(conn);
      this.commitMs += performance.now() - started;
      this.commits++;
      this.onCommit(batch.length);
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw error;
    }
    return outcomes;
  }
}
