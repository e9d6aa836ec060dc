// A page's LIMIT as SQLite should see it. When a LIMIT is a bare bound parameter, SQLite reads its value while it
// plans the statement, so binding it again expires the statement, which is then prepared anew on every run: a point
// lookup with `limit ?` took 23–35 µs where `limit 101` and `limit (? + 0)` took 13–20 µs (ADR 0060). As an
// expression the limit stays a parameter, so a lookup shape keeps one SQL text whatever page size it is asked for.
// PostgreSQL gets the plain parameter: a named lookup's generic plan takes the limit as a parameter (ADR 0061).
import { sql } from 'kysely';

export function pageLimit(dialect: 'sqlite' | 'postgres', limit: number) {
  return dialect === 'sqlite' ? sql<number>`(${limit} + 0)` : limit;
}
