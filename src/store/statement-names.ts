// Names for PostgreSQL's prepared statements (ADR 0061). PostgreSQL parses and plans an unnamed statement on every
// execution; for Roster's one-statement reads (a token joined to its user and groups) that cost the database five
// times Roster's own CPU. A named statement is parsed once per connection and then only bound and run.
//
// Only SQL texts from bounded sets are named: the fixed-shape queries, compiled once each, and the lookup shapes.
// Every name stays prepared on every connection until it closes, so a text that varies with its input (a filter,
// an IN-list) must never be named; nor must more than MAX_NAMED texts.
const names = new Map<string, string>();
let counter = 0;

export const MAX_NAMED_STATEMENTS = 400;

/** Marks `text` as one to prepare once per connection (a text from a bounded set). */
export function nameStatement(text: string): void {
  if (names.size < MAX_NAMED_STATEMENTS && !names.has(text)) names.set(text, `roster_${counter++}`);
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
