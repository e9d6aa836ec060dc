// Operator command for the database schema (docs/operations.md, "Database migrations"):
//   npm run db:migrate            apply the pending migrations to DATABASE_URL, then print the status
//   npm run db:status [-- --check]  list each migration as applied (with its time) or pending; --check exits 1
//                                   while any is pending
// It reads DATABASE_URL as Roster does (SQLite or PostgreSQL) and needs no secret key. Roster also migrates at start;
// this command lets a deployment migrate first, or see where a database stands.
import { ConfigError, defaults, parseDatabase } from './config/config.ts';
import { type MigrationState, openMigrationTarget } from './store/migrator.ts';
import type { StoreLocation } from './store/open-store.ts';

/** The database named without its password. */
function describe(location: StoreLocation): string {
  if (location.kind === 'sqlite') return `sqlite:${location.path}`;
  const url = new URL(location.url);
  if (url.password) url.password = '***';
  return url.toString();
}

function report(states: readonly MigrationState[]): string {
  const width = Math.max(...states.map((s) => s.name.length));
  const lines = states.map((s) => `  ${s.name.padEnd(width)}  ${s.appliedAt ? `applied ${s.appliedAt}` : 'pending'}`);
  const pending = states.filter((s) => s.appliedAt === null).length;
  return `${lines.join('\n')}\n${states.length - pending} applied, ${pending} pending\n`;
}

async function run(args: readonly string[]): Promise<number> {
  const [command, ...flags] = args;
  if ((command !== 'migrate' && command !== 'status') || flags.some((f) => f !== '--check')) {
    process.stderr.write('usage: migrate-cli migrate | status [--check]\n');
    return 2;
  }
  const database = parseDatabase(process.env.DATABASE_URL || defaults.DATABASE_URL);
  const location: StoreLocation =
    database.kind === 'sqlite' ? { kind: 'sqlite', path: database.path } : { kind: 'postgres', url: database.url };
  const target = openMigrationTarget(location);
  try {
    process.stdout.write(`database ${describe(location)}\n`);
    if (command === 'migrate') {
      const applied = await target.migrate();
      process.stdout.write(applied.length > 0 ? `applied ${applied.join(', ')}\n` : 'already up to date\n');
    }
    const states = await target.status();
    process.stdout.write(report(states));
    return flags.includes('--check') && states.some((s) => s.appliedAt === null) ? 1 : 0;
  } finally {
    await target.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError ? `configuration error: ${error.message}` : (error as Error).message;
    process.stderr.write(`roster db: ${message}\n`);
    process.exit(1);
  },
);
