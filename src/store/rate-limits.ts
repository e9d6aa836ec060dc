// The shared rate-limit buckets on PostgreSQL: one upsert per claim refills the row and takes a batch of permits.
import { type Kysely, sql } from 'kysely';
import type { RateLimitStore } from '../core/ratelimit/shared-buckets.ts';
import type { Database } from './schema.ts';

export function postgresRateLimits(db: Kysely<Database>): RateLimitStore {
  return {
    async claim(scope, key, rule, want, nowMs) {
      // One statement, atomic under the row lock: concurrent claims from any process serialise on the row.
      // A new bucket starts full. On conflict every right-hand side reads the old row, so `granted` and `tokens`
      // agree. The clock only moves forward per row: a process whose clock lags adds no refill.
      const refilled = sql`least(${rule.burst}::float8, b.tokens + greatest(0, ${nowMs}::bigint - b.at_ms) * ${rule.rate}::float8 / 1000.0)`;
      const take = sql`least(${want}::int, floor(${refilled}))::int`;
      const { rows } = await sql<{ granted: number; tokens: number }>`
        insert into rate_limit_buckets as b (scope, key, tokens, at_ms, granted)
        values (${scope}, ${key}, ${rule.burst}::float8 - least(${want}::int, floor(${rule.burst}::float8)),
                ${nowMs}::bigint, least(${want}::int, floor(${rule.burst}::float8))::int)
        on conflict (scope, key) do update set
          granted = ${take},
          tokens = ${refilled} - ${take},
          at_ms = greatest(b.at_ms, ${nowMs}::bigint)
        returning granted, tokens`.execute(db);
      const row = rows[0];
      if (!row) throw new Error('rate limit claim returned no row');
      return { granted: Number(row.granted), tokens: Number(row.tokens) };
    },
    async purge(scope, idleBeforeMs) {
      const result =
        await sql`delete from rate_limit_buckets where scope = ${scope} and at_ms < ${idleBeforeMs}::bigint`.execute(
          db,
        );
      return Number(result.numAffectedRows ?? 0);
    },
  };
}
