// Every row of every table as text: what an attacker holding a database dump would see.
import { sql } from 'kysely';
import type { TestStore } from './stores.ts';

export async function dumpDatabase(t: TestStore): Promise<string> {
  const db = t.store.db;
  const tables =
    t.location.kind === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map(
          (r) => r.name,
        )
      : (
          await sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(db)
        ).rows.map((r) => r.name);
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await sql`select * from ${sql.table(table)}`.execute(db);
    parts.push(`${table}: ${JSON.stringify(rows.rows)}`);
  }
  return parts.join('\n');
}
