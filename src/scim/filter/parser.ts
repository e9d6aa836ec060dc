// Tokens → the filter AST (RFC 7644 §3.4.2.2): precedence not > and > or; depth and term counts bounded.
import { scimErrors } from '../errors.ts';
import { isAttrName, parseAttrRef } from '../path/parse.ts';
import type { AttrRef } from '../path/types.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from './ast.ts';
import { type Token, tokenize } from './lexer.ts';
import { FILTER_LIMITS, type FilterLimits } from './limits.ts';

const OPERATORS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

function fail(offset: number, what: string): never {
  throw scimErrors.invalidFilter(`invalid filter at character ${offset + 1}: ${what}`);
}

class Parser {
  private position = 0;
  private depth = 0;
  private terms = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly limits: FilterLimits,
  ) {}

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private take(): Token {
    return this.tokens[this.position++]!;
  }

  private keyword(token: Token, word: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === word;
  }

  private enter(offset: number): void {
    if (++this.depth > this.limits.maxDepth) fail(offset, `nesting deeper than ${this.limits.maxDepth} levels`);
  }

  private term(offset: number): void {
    if (++this.terms > this.limits.maxTerms) fail(offset, `more than ${this.limits.maxTerms} comparisons`);
  }

  parse(): FilterNode {
    const node = this.or();
    const next = this.peek();
    if (next.kind !== 'end') fail(next.offset, 'expected "and", "or" or the end of the filter');
    return node;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.keyword(this.peek(), 'or')) {
      this.take();
      left = Object.freeze({ kind: 'or', left, right: this.and() });
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.keyword(this.peek(), 'and')) {
      this.take();
      left = Object.freeze({ kind: 'and', left, right: this.unary() });
    }
    return left;
  }

  private unary(): FilterNode {
    const token = this.peek();
    if (this.keyword(token, 'not')) {
      this.take();
      this.enter(token.offset);
      const open = this.take();
      if (open.kind !== '(') fail(open.offset, 'expected "(" after "not"');
      const inner = this.or();
      this.expect(')');
      this.depth--;
      return Object.freeze({ kind: 'not', filter: inner });
    }
    if (token.kind === '(') {
      this.take();
      this.enter(token.offset);
      const inner = this.or();
      this.expect(')');
      this.depth--;
      return inner;
    }
    return this.attributeExpression();
  }

  private expect(kind: ')' | ']'): void {
    const token = this.take();
    if (token.kind !== kind) fail(token.offset, `expected "${kind}"`);
  }

  private attrRef(token: Token): AttrRef {
    if (token.kind !== 'word') fail(token.offset, 'expected an attribute name');
    try {
      return parseAttrRef(token.text, scimErrors.invalidFilter);
    } catch {
      return fail(token.offset, 'expected an attribute name');
    }
  }

  private attributeExpression(): FilterNode {
    const token = this.take();
    const attr = this.attrRef(token);
    if (this.peek().kind === '[') {
      const open = this.take();
      if (attr.subAttribute !== undefined)
        fail(open.offset, 'a value filter follows an attribute, not a sub-attribute');
      this.enter(open.offset);
      const inner = this.or();
      this.expect(']');
      this.depth--;
      const after = this.peek();
      // Entra ID sends `emails[type eq "work"].value eq "…"`: fold the trailing comparison into the value filter.
      if (after.kind === 'word' && after.text.startsWith('.')) {
        this.take();
        const sub = after.text.slice(1);
        if (!isAttrName(sub)) fail(after.offset + 1, 'expected a sub-attribute name');
        const tail = this.comparison({ attribute: sub }, after.offset);
        return Object.freeze({
          kind: 'valuePath',
          attr,
          filter: Object.freeze({ kind: 'and', left: inner, right: tail }),
          offset: token.offset,
        });
      }
      return Object.freeze({ kind: 'valuePath', attr, filter: inner, offset: token.offset });
    }
    return this.comparison(attr, token.offset);
  }

  private comparison(attr: AttrRef, offset: number): FilterNode {
    this.term(offset);
    const op = this.take();
    if (op.kind !== 'word') fail(op.offset, 'expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)');
    const name = op.text.toLowerCase();
    if (name === 'pr') return Object.freeze({ kind: 'present', attr, offset });
    if (!OPERATORS.has(name)) fail(op.offset, 'expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)');
    return Object.freeze({ kind: 'compare', attr, op: name as CompareOperator, value: this.literal(), offset });
  }

  private literal(): FilterLiteral {
    const token = this.take();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    return fail(token.offset, 'expected a value: a "string", a number, true, false or null');
  }
}

export function parseFilter(text: string, limits: FilterLimits = FILTER_LIMITS): FilterNode {
  if (text.length > limits.maxLength)
    throw scimErrors.invalidFilter(`the filter is longer than ${limits.maxLength} characters`);
  if (text.trim().length === 0) throw scimErrors.invalidFilter('the filter is empty');
  return new Parser(tokenize(text), limits).parse();
}
