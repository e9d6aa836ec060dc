// Security plan A12 as a static rule: no ===, !==, == or != on secret material anywhere in src/. Secrets are
// compared as HMAC digests with crypto.timingSafeEqual (src/lib/keyring.ts verifySecret); a plain comparison
// short-circuits on the first differing character and leaks how much of a guess was right. The rule reads the
// TypeScript syntax tree: an operand whose name ends like a secret (secret, digest, password, verifier, mac,
// signature, bearer, token, cookie), compared with anything but a literal, a typeof or a length, fails the test.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const SECRET_NAME = /(secret|digest|password|passwd|verifier|hmac|mac|signature|bearer|token|cookie)s?$/i;
const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** The last name of an operand (`row.secret` → secret, `a.b()` → b), or undefined for anything else. */
function leafName(node: ts.Expression): string | undefined {
  let e: ts.Expression = node;
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  if (ts.isElementAccessExpression(e) && ts.isStringLiteral(e.argumentExpression)) return e.argumentExpression.text;
  return undefined;
}

/** Operands that carry no secret: literals, typeof, `.length`, `.kind`-like enums are caught by their names. */
function harmless(node: ts.Expression): boolean {
  let e: ts.Expression = node;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (
    ts.isLiteralExpression(e) ||
    ts.isNoSubstitutionTemplateLiteral(e) ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    ts.isTypeOfExpression(e) ||
    (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand))
  ) {
    return true;
  }
  if (ts.isIdentifier(e) && e.text === 'undefined') return true;
  return ts.isPropertyAccessExpression(e) && (e.name.text === 'length' || e.name.text === 'size');
}

function findSecretComparisons(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) {
      const sides = [node.left, node.right];
      const secretSide = sides.find((side) => SECRET_NAME.test(leafName(side) ?? ''));
      const other = sides.find((side) => side !== secretSide);
      if (secretSide && other && !harmless(other)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${fileName}:${line + 1}: ${node.getText()}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('A12: secrets are never compared with === or !==', () => {
  it('finds no equality operator on secret material in src/', () => {
    const findings = files(SRC).flatMap((path) =>
      findSecretComparisons(relative(SRC, path), readFileSync(path, 'utf8')),
    );
    expect(findings).toEqual([]);
  });

  it('the rule catches the shapes it must (it can fail)', () => {
    const sample = `
      if (row.secret === presented) {}
      if (stored.digest !== computed.digest) {}
      if (bearer == expected) {}
      if (input.clientSecret === record.clientSecret) {}
      if (req.headers['x-signature'] !== sig) {}
      if (token === other) {}
      // not flagged: presence and shape checks
      if (token === undefined || secret.length !== 43 || typeof digest === 'string' || password === null) {}
      if (token.kind === 'scim') {}
    `;
    expect(findSecretComparisons('sample.ts', sample).map((f) => f.split(': ')[1])).toEqual([
      'row.secret === presented',
      'stored.digest !== computed.digest',
      'bearer == expected',
      'input.clientSecret === record.clientSecret',
      "req.headers['x-signature'] !== sig",
      'token === other',
    ]);
  });

  it('verification uses a digest lookup and crypto.timingSafeEqual', () => {
    const keyring = readFileSync(join(SRC, 'lib/keyring.ts'), 'utf8');
    expect(keyring).toMatch(/timingSafeEqual\(actual, expected\)/);
    const principal = readFileSync(join(SRC, 'core/auth/principal.ts'), 'utf8');
    for (const store of ['operatorTokens', 'adminTokens']) {
      expect(principal).toContain(`deps.store.${store}.get(token.id)`);
    }
    // A SCIM token is read with its tenant's domain policy in the same statement (ADR 0045), and on PostgreSQL with
    // the user a GET reads (ADR 0051): by the token's id either way, then verified below.
    expect(principal).toContain('const tokens = deps.store.scimTokens;');
    expect(principal).toContain('tokens.getWithDomainPolicy(token.id)');
    expect(principal).toContain('tokens.getWithDomainPolicyAndUser?.(token.id, prefetch)');
    expect(principal).toContain('tokens.getWithDomainPolicyAndGroup?.(token.id, groupId)');
    // And with the first page of an IdP's lookup (ADR 0055), by the token's id too.
    expect(principal).toContain('tokens.getWithDomainPolicyAndLookup?.(token.id, lookup)');
    expect(principal.match(/verifySecret\(/g)?.length).toBeGreaterThanOrEqual(4);
  });
});
