// scripts/check-layers.mjs against small source trees written to a temporary directory: a clean tree passes, and
// each rule it enforces (layer direction, no import cycles, no I/O builtins in the SCIM engine) fails the run with
// a message naming the offending import. The last case runs it on the real src/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/check-layers.mjs');
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A layered tree that passes: lib ← scim ← core ← store/http ← app.ts. Cases add or replace files. */
const CLEAN: Record<string, string> = {
  'lib/ids.ts': 'export const newId = () => "x";\n',
  'scim/filter/ast.ts': "import { newId } from '../../lib/ids.ts';\nexport const node = { id: newId() };\n",
  'scim/filter/parser.ts': "import { node } from './ast.ts';\nexport const parse = () => node;\n",
  'core/scim/users.ts': "import { parse } from '../../scim/filter/parser.ts';\nexport const users = parse;\n",
  'store/scim/rows.ts': "import { users } from '../../core/scim/users.ts';\nexport const rows = users;\n",
  'store/scim/search.ts':
    "import { sql } from 'kysely';\nimport { rows } from './rows.ts';\nexport const s = [sql, rows];\n",
  'http/scim/plugin.ts': "import { users } from '../../core/scim/users.ts';\nexport const plugin = users;\n",
  'app.ts':
    "import { plugin } from './http/scim/plugin.ts';\nimport { s } from './store/scim/search.ts';\nexport default [plugin, s];\n",
};

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'roster-layers-'));
  roots.push(root);
  for (const [path, text] of Object.entries({ ...CLEAN, ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root?: string) {
  const run = spawnSync(process.execPath, [SCRIPT, ...(root ? [root] : [])], { encoding: 'utf8' });
  return { status: run.status, out: run.stdout, err: run.stderr };
}

describe('check-layers', () => {
  it('passes a clean layered tree', () => {
    expect(check(tree({}))).toEqual({ status: 0, out: 'layer check: ok\n', err: '' });
  });

  it('fails an import against the direction (core importing store)', () => {
    const r = check(
      tree({ 'core/scim/users.ts': "import { rows } from '../../store/scim/rows.ts';\nexport const users = rows;\n" }),
    );
    expect(r.status).toBe(1);
    expect(r.err).toContain(
      'core/scim/users.ts imports ../../store/scim/rows.ts (core may import only core, scim, lib)',
    );
  });

  it('fails a banned package in a layer (kysely in core)', () => {
    const r = check(tree({ 'core/scim/users.ts': "import { sql } from 'kysely';\nexport const users = sql;\n" }));
    expect(r.status).toBe(1);
    expect(r.err).toContain('core/scim/users.ts imports kysely (not allowed in core)');
  });

  it('fails a cycle inside a layer, and names the loop', () => {
    const r = check(tree({ 'store/scim/rows.ts': "import { s } from './search.ts';\nexport const rows = s;\n" }));
    expect(r.status).toBe(1);
    expect(r.err).toBe(
      'layer check failed:\n  import cycle: store/scim/rows.ts → store/scim/search.ts → store/scim/rows.ts\n',
    );
  });

  it('fails a cycle made only of type imports', () => {
    const r = check(
      tree({
        'scim/filter/ast.ts':
          "import type { parse } from './parser.ts';\nexport type Node = ReturnType<typeof parse>;\nexport const node = {};\n",
      }),
    );
    expect(r.status).toBe(1);
    expect(r.err).toContain('import cycle: scim/filter/ast.ts → scim/filter/parser.ts → scim/filter/ast.ts');
  });

  it('fails a longer cycle, through a re-export and a dynamic import', () => {
    const r = check(
      tree({
        'store/scim/rows.ts': "export { s } from './search.ts';\nexport const rows = 1;\n",
        'store/scim/search.ts': "import { log } from './log.ts';\nexport const s = log;\n",
        'store/scim/log.ts': "export const log = () => import('./rows.ts');\n",
      }),
    );
    expect(r.status).toBe(1);
    expect(r.err).toContain(
      'import cycle: store/scim/log.ts → store/scim/rows.ts → store/scim/search.ts → store/scim/log.ts',
    );
  });

  it('fails a module that imports itself', () => {
    const r = check(tree({ 'lib/ids.ts': "import './ids.ts';\nexport const newId = () => 'x';\n" }));
    expect(r.status).toBe(1);
    expect(r.err).toContain('import cycle: lib/ids.ts → lib/ids.ts');
  });

  it('fails a node: import in src/scim, and any package there', () => {
    const r = check(
      tree({
        'scim/filter/parser.ts':
          "import { readFileSync } from 'node:fs';\nimport { node } from './ast.ts';\nexport const parse = () => [readFileSync, node];\n",
        'scim/filter/ast.ts': "import { v4 } from 'uuid';\nexport const node = v4;\n",
      }),
    );
    expect(r.status).toBe(1);
    expect(r.err).toBe(
      'layer check failed:\n' +
        '  scim/filter/ast.ts imports uuid (not allowed in scim)\n' +
        '  scim/filter/parser.ts imports node:fs (src/scim is pure: node: modules allowed there: none)\n',
    );
  });

  it('allows node: imports outside src/scim', () => {
    expect(
      check(tree({ 'lib/ids.ts': "import { randomUUID } from 'node:crypto';\nexport const newId = randomUUID;\n" }))
        .status,
    ).toBe(0);
  });

  it('passes on this repository (its own src/, by default)', () => {
    expect(check()).toEqual({ status: 0, out: 'layer check: ok\n', err: '' });
  });
});
