// src/main.ts bundled once for tests that restart Roster many times (crash safety, the mirror test): dependencies stay
// external, loaded from node_modules as usual, and a restart is about twice as fast as going through tsx's module
// hooks. The bundle sits under node_modules so that its package imports resolve. Files Roster reads beside its
// modules at run time (the console's CSS and script) are copied to where the bundle looks for them.
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');

/** `source`: another entry point to bundle the same way, e.g. a CLI (src/keys-cli.ts) a test runs several times. */
export async function bundleMain(name: string, source = 'src/main.ts'): Promise<{ entry: string; remove(): void }> {
  const dir = join(ROOT, 'node_modules/.cache', name, String(process.pid));
  const entry = join(dir, 'main.mjs');
  await build({
    entryPoints: [join(ROOT, source)],
    outfile: entry,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    logLevel: 'warning',
  });
  // src/http/console/plugin.ts reads `./assets/*` relative to its module, which in the bundle is main.mjs.
  cpSync(join(ROOT, 'src/http/console/assets'), join(dir, 'assets'), { recursive: true });
  // src/http/signin/passkey-routes.ts reads its browser glue the same way (./assets/passkey.js).
  cpSync(join(ROOT, 'src/http/signin/assets'), join(dir, 'assets'), { recursive: true });
  // src/lib/common-passwords.ts reads its list beside its module too.
  cpSync(join(ROOT, 'src/lib/common-passwords.txt'), join(dir, 'common-passwords.txt'));
  return { entry, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
