// Builds what `npm start` runs: src/main.ts bundled by esbuild into dist/main.mjs, with the files Roster reads
// beside its modules at run time. Dependencies stay external (loaded from node_modules), so the bundle is only
// Roster's own code, already compiled: no TypeScript transform at start-up or in memory (ADR 0056).
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The V8 flags `npm start` gives Roster (package.json says the same; the bench starts Roster with them). A fixed
 * heap growth of 1.5× after each full collection, instead of V8's dynamic factor of up to 4×: under load the heap of
 * a server with ~60 MB live grew to 250+ MB of mostly garbage before V8 collected it (ADR 0056).
 */
export const START_NODE_FLAGS = ['--heap-growing-percent=50'];

/** Bundles `source` (relative to the repo) into `dir`/main.mjs and copies the run-time files beside it. */
export async function buildRoster(dir, source = 'src/main.ts') {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: { main: join(ROOT, source) },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    // Modules main.ts imports only when asked for (the tracing SDK) stay in their own chunk, loaded when imported.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    logLevel: 'warning',
  });
  // Modules that read files relative to themselves (`new URL('./…', import.meta.url)`) find them beside the bundle:
  // the console's CSS and script (src/http/console/plugin.ts), the passkey page glue
  // (src/http/signin/passkey-routes.ts) and the common-password list (src/lib/common-passwords.ts).
  cpSync(join(ROOT, 'src/http/console/assets'), join(dir, 'assets'), { recursive: true });
  cpSync(join(ROOT, 'src/http/signin/assets'), join(dir, 'assets'), { recursive: true });
  cpSync(join(ROOT, 'src/lib/common-passwords.txt'), join(dir, 'common-passwords.txt'));
  return join(dir, 'main.mjs');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = join(ROOT, 'dist');
  rmSync(dir, { recursive: true, force: true });
  await buildRoster(dir);
}
