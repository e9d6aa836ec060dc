// One error vocabulary (ADR 0015) as a static rule: errors are recognised by their class and code, never by their
// message. The rule reads the TypeScript syntax tree of every file in src/: a `.message` (or a variable named
// `message`) compared with ===/!==/==/!=, searched with includes/startsWith/endsWith/indexOf/match/search, or tested
// with a regular expression fails the test, unless the file is listed below with the reason it has no code to use.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Errors of other libraries that carry no code for the case; each entry names the library and why. */
const FOREIGN: Record<string, string> = {
  // node-postgres reports a dropped connection or a pool timeout as a plain Error without a code.
  'store/postgres.ts': 'pg connection errors without a code',
  // @node-saml/node-saml throws plain Errors for time, audience and signature failures: the message only picks the
  // audit reason; anything unrecognised is still refused (saml_invalid).
  'oidc/saml/response.ts': 'node-saml validation errors without a code',
  // @simplewebauthn/server throws plain Errors: a counter that did not grow is told apart only for its audit reason
  // (clone_suspected); every other failure is refused too.
  'core/credentials/passkeys.ts': 'simplewebauthn verification errors without a code',
};

const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);
const SEARCHES = new Set(['includes', 'startsWith', 'endsWith', 'indexOf', 'match', 'search', 'localeCompare']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** Whether the expression is, or wraps (casts, String(…), parentheses), an error's message. */
function isMessage(node: ts.Expression): boolean {
  let e: ts.Expression = node;
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
    else if (
      ts.isCallExpression(e) &&
      ts.isIdentifier(e.expression) &&
      e.expression.text === 'String' &&
      e.arguments[0]
    )
      e = e.arguments[0];
    else break;
  }
  if (ts.isIdentifier(e)) return e.text === 'message';
  return (ts.isPropertyAccessExpression(e) || ts.isPropertyAccessChain(e)) && e.name.text === 'message';
}

function findMessageMatching(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const flag = (node: ts.Node) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart());
    found.push(`${fileName}:${line + 1}: ${node.getText()}`);
  };
  const visit = (node: ts.Node) => {
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) {
      if (isMessage(node.left) || isMessage(node.right)) flag(node);
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      if (SEARCHES.has(method) && isMessage(node.expression.expression)) flag(node);
      else if (method === 'test' && node.arguments.some(isMessage)) flag(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('errors are recognised by class and code, never by message', () => {
  it('finds no matching of error messages in src/ beyond the listed foreign libraries', () => {
    const findings = files(SRC).flatMap((path) => {
      const name = relative(SRC, path);
      if (name in FOREIGN) return [];
      return findMessageMatching(name, readFileSync(path, 'utf8'));
    });
    expect(findings).toEqual([]);
  });

  it('lists only files that still need their exception', () => {
    for (const name of Object.keys(FOREIGN)) {
      expect(findMessageMatching(name, readFileSync(join(SRC, name), 'utf8')), name).not.toEqual([]);
    }
  });

  it('the rule catches the shapes it must (it can fail)', () => {
    const sample = `
      if ((error as Error).message === 'interaction mismatch') {}
      if (err.message !== "x") {}
      if (e?.message.includes('duplicate')) {}
      if (String(error.message).startsWith('lost')) {}
      if (/timeout/i.test(String((error as Error).message))) {}
      if (/gone/.test(message)) {}
      // not flagged: codes, names, and building messages
      if (error.code === 'scim.uniqueness' || error.name === 'SessionNotFound') {}
      log.warn({ err: { message: error.message } });
      throw new Error(\`failed: \${error.message}\`);
    `;
    expect(findMessageMatching('sample.ts', sample).map((f) => f.split(': ').slice(1).join(': '))).toEqual([
      "(error as Error).message === 'interaction mismatch'",
      'err.message !== "x"',
      "e?.message.includes('duplicate')",
      "String(error.message).startsWith('lost')",
      '/timeout/i.test(String((error as Error).message))',
      '/gone/.test(message)',
    ]);
  });
});
