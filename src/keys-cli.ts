// Operator command for rotating ROSTER_SECRET_KEY (docs/operations.md, "Rotating ROSTER_SECRET_KEY"):
//   npm run keys:status [-- --check]   which stored values depend on which key; --check exits 1 unless only the
//                                      active key is still needed
//   npm run keys:reencrypt             re-seal secrets at rest under the active key (safe while Roster runs)
// It reads the same environment as Roster (DATABASE_URL, ROSTER_SECRET_KEY) and prints JSON. No secret is printed.
import { ConfigError, loadConfig } from './config/config.ts';
import { resolveKeyring } from './config/secret-key.ts';
import { keyReport, resealSecrets } from './core/keys/rotation.ts';
import { openStore } from './store/open-store.ts';

async function run(args: readonly string[]): Promise<number> {
  const [command, ...flags] = args;
  if (command !== 'status' && command !== 'reencrypt') {
    process.stderr.write('usage: keys-cli status [--check] | reencrypt\n');
    return 2;
  }
  const config = loadConfig();
  const { keyring, generatedAt } = resolveKeyring(config);
  if (generatedAt) {
    process.stderr.write(`roster keys: no key was configured; generated ${generatedAt}\n`);
  }
  const store = await openStore(
    config.database.kind === 'sqlite'
      ? { kind: 'sqlite', path: config.database.path }
      : { kind: 'postgres', url: config.database.url },
    { statementTimeoutMs: config.dbStatementTimeoutMs },
  );
  try {
    const deps = { keys: store.keys, keyring };
    const reencrypted = command === 'reencrypt' ? await resealSecrets(deps) : undefined;
    const report = await keyReport(deps);
    process.stdout.write(`${JSON.stringify({ ...(reencrypted ? { reencrypted } : {}), ...report }, null, 2)}\n`);
    if (reencrypted && reencrypted.unreadable.length > 0) return 1;
    if (flags.includes('--check')) {
      const others = Object.keys(report.use).filter((k) => k !== report.activeKey);
      return others.length === 0 && report.unreadable.length === 0 ? 0 : 1;
    }
    return 0;
  } finally {
    await store.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError ? `configuration error: ${error.message}` : (error as Error).message;
    process.stderr.write(`roster keys: ${message}\n`);
    process.exit(1);
  },
);
