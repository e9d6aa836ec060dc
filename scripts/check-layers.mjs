// Fails when an import breaks the dependency direction lib ← scim ← core ← {store, oidc, http} ← app.ts ← main.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../src');

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
};

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

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const file of files(SRC)) {
  const layer = relative(SRC, file).split('/')[0];
  const rule = RULES[layer];
  if (!rule) continue; // app.ts, main.ts: the composition root may import everything
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (spec.startsWith('.')) {
      const target = relative(SRC, resolve(dirname(file), spec));
      const targetLayer = target.split('/')[0];
      if (target.startsWith('..') || !rule.may.includes(targetLayer.replace(/\.ts$/, ''))) {
        problems.push(`${relative(SRC, file)} imports ${spec} (${layer} may import only ${rule.may.join(', ')})`);
      }
    } else {
      const isBuiltin = spec.startsWith('node:');
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const banned = rule.banned.includes('*') ? !isBuiltin : rule.banned.includes(pkg) || rule.banned.includes(spec);
      if (banned) problems.push(`${relative(SRC, file)} imports ${spec} (not allowed in ${layer})`);
    }
  }
}
if (problems.length > 0) {
  console.error(`layer check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layer check: ok');
