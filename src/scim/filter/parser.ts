// Tokens → the filter AST (RFC 7644 §3.4.2.2): recursive descent, precedence not > and > or, depth-counted so
// hostile nesting fails before the stack does; length, depth and term limits from limits.ts.
//
//   FILTER    = orExp
//   orExp     = andExp *("or" andExp)                     ; left-associative
//   andExp    = unary *("and" unary)                      ; left-associative
//   unary     = "not" "(" FILTER ")" / "(" FILTER ")" / attrExp / valuePath
//   valuePath = attrPath "[" FILTER "]" ["." subAttr (compareOp compValue / "pr")]   ; the tail: Entra ID
//   attrExp   = attrPath ("pr" / compareOp compValue)
import { scimErrors } from '../errors.ts';
import { attrRef, isAttrName, parseAttrRef } from '../path/attr-ref.ts';
import type { AttrRef } from '../path/types.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from './ast.ts';
import { filterError as fail, type Token, tokenize } from './lexer.ts';
import { FILTER_LIMITS, type FilterLimits } from './limits.ts';

const OPERATORS: ReadonlySet<string> = new Set<CompareOperator>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const EXPECTED_OPERATOR = 'expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr)';
const EXPECTED_VALUE = 'expected a value: a "string", a number, true, false or null';

class Parser {
  private position = 0;
  private depth = 0;
  private terms = 0;
  private inValuePath = false;

  /**
   * @param base subtracted from offsets stored in nodes: a PATCH path's value filter keeps offsets relative to
   *   its own text (after "["), while error details count from the start of the path.
   */
  constructor(
    private readonly tokens: readonly Token[],
    private readonly limits: FilterLimits,
    private readonly base = 0,
  ) {}

  private peek(): Token {
    // The token list always ends with 'end' and nothing advances past it.
    return this.tokens[this.position] ?? this.tokens[this.tokens.length - 1]!;
  }

  private take(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position++;
    return token;
  }

  // RFC 7644 §3.4.2.2: "Attribute names and attribute operators used in filters are case insensitive."
  private isKeyword(token: Token, word: string): boolean {
    return token.kind === 'word' && token.text.length === word.length && token.text.toLowerCase() === word;
  }

  private expect(kind: ')' | ']', what: string): Token {
    const token = this.take();
    if (token.kind !== kind) fail(token.offset, `expected "${kind}" ${what}`);
    return token;
  }

  private enter(offset: number): void {
    if (++this.depth > this.limits.maxDepth)
      fail(offset, `nesting is deeper than ${this.limits.maxDepth} levels (parentheses, not and value filters)`);
  }

  private countTerm(offset: number): void {
    if (++this.terms > this.limits.maxTerms)
      fail(offset, `the filter has more than ${this.limits.maxTerms} comparisons`);
  }

  /** A whole filter: nothing may follow it but the end. */
  filter(): FilterNode {
    const first = this.peek();
    if (first.kind === 'end') fail(first.offset, 'expected an attribute path, "(" or "not"');
    const node = this.or();
    const next = this.peek();
    if (next.kind !== 'end') fail(next.offset, 'expected "and", "or" or the end of the filter');
    return node;
  }

  /** `[` FILTER `]` of a PATCH path; returns the filter and the path offset just after `]`. */
  bracketed(): { filter: FilterNode; after: number } {
    const open = this.take();
    if (open.kind !== '[') fail(open.offset, 'expected "["');
    this.enter(open.offset);
    this.inValuePath = true;
    const filter = this.or();
    const close = this.expect(']', 'to close the value filter');
    return { filter, after: close.offset + 1 };
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.isKeyword(this.peek(), 'or')) {
      this.take();
      left = Object.freeze({ kind: 'or', left, right: this.and() });
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.isKeyword(this.peek(), 'and')) {
      this.take();
      left = Object.freeze({ kind: 'and', left, right: this.unary() });
    }
    return left;
  }

  private unary(): FilterNode {
    const token = this.peek();
    if (this.isKeyword(token, 'not')) {
      this.take();
      // RFC 7644 §3.4.2.2: "not" "(" FILTER ")" — one nesting level, the space before "(" optional (errata 7319).
      const open = this.take();
      if (open.kind !== '(') fail(open.offset, 'expected "(" after "not"');
      this.enter(token.offset);
      const inner = this.or();
      this.expect(')', 'to close "not ("');
      this.depth--;
      return Object.freeze({ kind: 'not', filter: inner });
    }
    if (token.kind === '(') {
      this.take();
      this.enter(token.offset);
      const inner = this.or();
      this.expect(')', 'to close "("');
      this.depth--;
      return inner;
    }
    return this.attributeExpression();
  }

  private attrPath(token: Token): AttrRef {
    if (token.kind !== 'word') return fail(token.offset, 'expected an attribute path, "(" or "not"');
    try {
      return parseAttrRef(token.text, scimErrors.invalidFilter);
    } catch {
      return fail(token.offset, 'expected an attribute path (ATTRNAME, sub-attribute or URN-qualified)');
    }
  }

  private attributeExpression(): FilterNode {
    const token = this.take();
    const attr = this.attrPath(token);
    if (this.peek().kind !== '[') return this.comparison(attr, token.offset);

    const open = this.take();
    if (attr.subAttribute !== undefined) fail(open.offset, 'a value filter follows an attribute, not a sub-attribute');
    // RFC 7644 errata 4690: value paths do not nest (`emails[type eq "a" and x[…]]`).
    if (this.inValuePath) fail(open.offset, 'value filters cannot be nested');
    this.enter(open.offset);
    this.inValuePath = true;
    let inner = this.or();
    this.expect(']', 'to close the value filter');
    const after = this.peek();
    // Not in the RFC's filter ABNF, but Entra ID sends `emails[type eq "work"].value eq "…"`: fold the trailing
    // comparison into the value filter, so one element must satisfy both.
    if (after.kind === 'word' && after.text.charCodeAt(0) === 46) {
      this.take();
      const sub = after.text.slice(1);
      if (!isAttrName(sub)) fail(after.offset + 1, 'expected a sub-attribute name after "."');
      const tail = this.comparison(attrRef(sub), after.offset + 1);
      inner = Object.freeze({ kind: 'and', left: inner, right: tail });
    }
    this.inValuePath = false;
    this.depth--;
    return Object.freeze({ kind: 'valuePath', attr, filter: inner, offset: token.offset - this.base });
  }

  private comparison(attr: AttrRef, at: number): FilterNode {
    this.countTerm(at);
    const offset = at - this.base;
    const op = this.take();
    if (op.kind !== 'word') fail(op.offset, EXPECTED_OPERATOR);
    const name = op.text.toLowerCase();
    if (name === 'pr') return Object.freeze({ kind: 'present', attr, offset });
    if (!OPERATORS.has(name)) fail(op.offset, EXPECTED_OPERATOR);
    const value = this.literal();
    return Object.freeze({ kind: 'compare', attr, op: name as CompareOperator, value, offset });
  }

  // RFC 7644 §3.4.2.2: compValue = false / null / true / number / string (RFC 7159 JSON values).
  private literal(): FilterLiteral {
    const token = this.take();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (this.isKeyword(token, 'true')) return true;
    if (this.isKeyword(token, 'false')) return false;
    if (this.isKeyword(token, 'null')) return null;
    return fail(token.offset, EXPECTED_VALUE);
  }
}

function checkLength(text: string, limits: FilterLimits): void {
  if (text.length > limits.maxLength)
    throw scimErrors.invalidFilter(`the filter is longer than ${limits.maxLength} characters`);
}

/**
 * Parses a filter (RFC 7644 §3.4.2.2) into a frozen AST. Throws only ScimError invalidFilter, whose detail gives
 * the 1-based character offset and what was expected, never the filter text or its values.
 */
export function parseFilter(text: string, limits: FilterLimits = FILTER_LIMITS): FilterNode {
  if (typeof text !== 'string') throw scimErrors.invalidFilter('the filter must be a string');
  checkLength(text, limits);
  return new Parser(tokenize(text), limits).filter();
}

/**
 * Parses the `[` FILTER `]` that starts at `open` in a PATCH path (RFC 7644 §3.5.2 valuePath). Offsets in the AST
 * count from the filter's first character (after `[`); offsets in errors are positions in `text`.
 * Returns the filter and the offset in `text` just after the closing `]`.
 */
export function parseBracketedFilter(
  text: string,
  open: number,
  limits: FilterLimits = FILTER_LIMITS,
): { readonly filter: FilterNode; readonly after: number } {
  checkLength(text, limits);
  const close = findClosingBracket(text, open);
  if (close === -1) fail(open, 'expected "]" to close the value filter');
  return new Parser(tokenize(text, open, close + 1), limits, open + 1).bracketed();
}

/** The `]` matching the `[` at `open`, skipping JSON strings; -1 when there is none. */
function findClosingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
    } else if (c === 91) {
      depth++;
    } else if (c === 93 && --depth === 0) {
      return i;
    }
  }
  return -1;
}
