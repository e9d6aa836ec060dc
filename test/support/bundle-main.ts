// src/main.ts bundled once for tests that restart Roster many times (crash safety, the mirror test), the way `npm
// start` builds it (scripts/build.mjs): dependencies stay external, loaded from node_modules as usual, and a restart
// is about twice as fast as going through tsx's module hooks. The bundle sits under node_modules so that its package
// imports resolve; the files Roster reads beside its modules at run time are copied beside it.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildRoster } from '../../scripts/build.mjs';

const ROOT = resolve(import.meta.dirname, '../..');

/** `source`: another entry point to bundle the same way, e.g. a CLI (src/keys-cli.ts) a test runs several times. */
export async function bundleMain(name: string, source = 'src/main.ts'): Promise<{ entry: string; remove(): void }> {
  const dir = join(ROOT, 'node_modules/.cache', name, String(process.pid));
  const entry = await buildRoster(dir, source);
  return { entry, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
