// Names for PostgreSQL's prepared statements (ADR 0061). PostgreSQL parses and plans an unnamed statement on every
// execution; for Roster's one-statement reads (a token joined to its user and groups) that cost the database five
// times Roster's own CPU. A named statement is parsed once per connection and then only bound and run.
//
// Every name stays prepared on every connection until it closes, so only texts from bounded sets are named, at most
// MAX_NAMED_STATEMENTS of them: the fixed-shape queries, compiled once each; the lookup shapes; and a batch insert
// whose row count keeps coming back. A filter's text, or a selection over an IN-list, is never named.
import { setBounded } from '../lib/bounded-map.ts';

const names = new Map<string, string>();
let counter = 0;

export const MAX_NAMED_STATEMENTS = 400;

/** Marks `text` as one to prepare once per connection (a text from a bounded set). */
export function nameStatement(text: string): void {
  if (names.size < MAX_NAMED_STATEMENTS && !names.has(text)) names.set(text, `roster_${counter++}`);
}

/** Inserts of a batch's rows, by text: how often each has run (bounded), until it is named. */
const listInsertRuns = new Map<string, number>();
let namedListInserts = 0;
export const LIST_INSERT_NAMED_AFTER = 20;
export const MAX_NAMED_LIST_INSERTS = 32;

/**
 * A batch's multi-row insert (one text per row count): named once its row count has come back
 * LIST_INSERT_NAMED_AFTER times (Entra's 100 members, their 100 events), at most MAX_NAMED_LIST_INSERTS of them.
 * Only inserts: a VALUES list has one plan, where a generic plan for `in (…)` over a large group can scan it all.
 */
export function noteListInsert(text: string): void {
  if (names.has(text) || namedListInserts >= MAX_NAMED_LIST_INSERTS || !/^\s*insert\b/i.test(text)) return;
  const runs = (listInsertRuns.get(text) ?? 0) + 1;
  if (runs < LIST_INSERT_NAMED_AFTER) {
    setBounded(listInsertRuns, text, runs, 256);
    return;
  }
  listInsertRuns.delete(text);
  nameStatement(text);
  if (names.has(text)) namedListInserts++;
}

/** The name `text` is prepared under, if it is one of the named texts. */
export function statementName(text: string): string | undefined {
  return names.get(text);
}

/**
 * A new name for `text`: PostgreSQL refused its prepared plan because a table it reads changed shape (a migration by
 * another process). Each connection prepares the new name afresh on its next use.
 */
export function renameStatement(text: string): void {
  if (names.has(text)) names.set(text, `roster_${counter++}`);
}
