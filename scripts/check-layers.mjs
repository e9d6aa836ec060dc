// Fails when an import breaks the dependency direction lib ← scim ← core ← {store, oidc, http, telemetry} ← app.ts ← main.ts,
// when src/scim imports a `node:` module beyond SCIM_BUILTINS, or when src modules import each other in a cycle.
//
// Usage: node scripts/check-layers.mjs [src root]   (default: this repository's src/)
//
// Cycles: any cycle among src modules fails, within a layer or across. Type-only imports (`import type`) count
// too: they are erased at run time (verbatimModuleSyntax), so they cannot cause an initialisation-order bug, but a
// type cycle still ties two modules together, so neither can be read, tested or moved without the other, and it
// is usually one `import` away from a runtime cycle. A type both sides need belongs in a third module.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const DEFAULT_ROOT = resolve(import.meta.dirname, '../src');
const SRC = resolve(process.argv[2] ?? DEFAULT_ROOT);

/** Which top-level folders each layer may import, and which packages it must not. */
const RULES = {
  lib: {
    may: ['lib'],
    banned: ['fastify', 'kysely', 'pg', 'better-sqlite3', 'openid-client', 'oidc-provider', 'pino'],
  },
  config: { may: ['config', 'lib'], banned: ['fastify', 'kysely', 'pg', 'better-sqlite3'] },
  scim: { may: ['scim', 'lib'], banned: ['*'] },
  core: {
    may: ['core', 'scim', 'lib'],
    banned: [
      'fastify',
      'kysely',
      'pg',
      'better-sqlite3',
      'openid-client',
      'oidc-provider',
      'node:http',
      'node:https',
      'jose',
    ],
  },
  store: { may: ['store', 'core', 'scim', 'lib'], banned: ['fastify', 'openid-client', 'oidc-provider'] },
  oidc: { may: ['oidc', 'core', 'scim', 'lib'], banned: ['fastify', 'kysely', 'pg', 'better-sqlite3'] },
  http: { may: ['http', 'core', 'scim', 'lib'], banned: ['kysely', 'pg', 'better-sqlite3'] },
  // The metrics and tracing adapters (ADR 0033, 0034): they implement core's Telemetry port.
  telemetry: {
    may: ['telemetry', 'core', 'lib'],
    banned: ['fastify', 'kysely', 'pg', 'better-sqlite3', 'openid-client', 'oidc-provider'],
  },
};

/**
 * The `node:` modules the pure SCIM engine may use: none today. Add one only for pure computation (e.g.
 * `node:crypto` for a hash), never I/O (fs, net, http, child_process, worker_threads, timers).
 */
const SCIM_BUILTINS = [];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? files(path)
      : path.endsWith('.ts') && !path.endsWith('.test.ts')
        ? [path]
        : [];
  });
}

/** Static imports and re-exports (type-only ones included), side-effect imports, and literal dynamic imports. */
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The module file a relative specifier names (`./x.ts`, `./x.js` compiled from x.ts, `./x`, `./dir`). */
function resolveModule(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

const rel = (path) => relative(SRC, path);
const problems = [];
/** module → the src modules it imports (relative paths). */
const graph = new Map();

for (const file of files(SRC)) {
  const name = rel(file);
  const edges = new Set();
  graph.set(name, edges);
  const layer = name.split('/')[0];
  const rule = RULES[layer]; // undefined for app.ts, main.ts: the composition root may import everything
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec.startsWith('.')) {
      const target = rel(resolve(dirname(file), spec));
      const targetLayer = target.split('/')[0];
      if (rule && (target.startsWith('..') || !rule.may.includes(targetLayer.replace(/\.ts$/, '')))) {
        problems.push(`${name} imports ${spec} (${layer} may import only ${rule.may.join(', ')})`);
      }
      const module = resolveModule(file, spec);
      if (module && !rel(module).startsWith('..')) edges.add(rel(module));
    } else if (rule) {
      const isBuiltin = spec.startsWith('node:');
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const banned = rule.banned.includes('*') ? !isBuiltin : rule.banned.includes(pkg) || rule.banned.includes(spec);
      if (banned) problems.push(`${name} imports ${spec} (not allowed in ${layer})`);
      if (layer === 'scim' && isBuiltin && !SCIM_BUILTINS.includes(spec)) {
        problems.push(
          `${name} imports ${spec} (src/scim is pure: node: modules allowed there: ${SCIM_BUILTINS.join(', ') || 'none'})`,
        );
      }
    }
  }
}

/** Strongly connected components (Tarjan); a component of two or more modules, or a self-import, is a cycle. */
function cycles(g) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || g.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of [...g.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** One import path around the component, starting and ending at its first module, for the message. */
function loopIn(g, component) {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of g.get(v) ?? []) {
      if (w === start) {
        const path = [start];
        for (let u = v; u !== undefined && u !== start; u = previous.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (members.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

for (const component of cycles(graph)) {
  const loop = loopIn(graph, component);
  // The loop shown may pass through only some of the modules that import each other round.
  const all = loop.length - 1 < component.length ? ` (all in the cycle: ${component.join(', ')})` : '';
  problems.push(`import cycle: ${loop.join(' → ')}${all}`);
}

if (problems.length > 0) {
  console.error(`layer check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layer check: ok');
