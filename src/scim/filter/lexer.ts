// Filter text → tokens (RFC 7644 §3.4.2.2). Hand-written: no regular expression ever sees the filter.
import { scimErrors } from '../errors.ts';

export type Token =
  | { readonly kind: 'word'; readonly text: string; readonly offset: number }
  | { readonly kind: 'string'; readonly value: string; readonly offset: number }
  | { readonly kind: 'number'; readonly value: number; readonly offset: number }
  | { readonly kind: '(' | ')' | '[' | ']'; readonly offset: number }
  | { readonly kind: 'end'; readonly offset: number };

/** Space, tab, CR, LF: more liberal than the ABNF's single SP, because clients pretty-print filters. */
export const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Characters of attribute paths (URN prefix, `.sub`, `$ref`), operators and keywords. */
const isWordChar = (c: number) => isAlpha(c) || isDigit(c) || c === 95 || c === 45 || c === 46 || c === 58 || c === 36;

/** Offsets in details are 1-based characters; the filter text itself is never echoed. */
export function filterError(offset: number, what: string): never {
  throw scimErrors.invalidFilter(`invalid filter at character ${offset + 1}: ${what}`);
}

const ESCAPES: Readonly<Record<number, string>> = {
  34: '"',
  92: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
};

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** A JSON string (RFC 8259 §7): every escape, `\uXXXX` included; raw control characters are refused. */
function readString(text: string, start: number, end: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  let run = i;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 34) return { value: value + text.slice(run, i), end: i + 1 };
    if (c < 32) filterError(i, 'control characters in a string must be escaped');
    if (c !== 92) {
      i++;
      continue;
    }
    value += text.slice(run, i);
    const e = i + 1 < end ? text.charCodeAt(i + 1) : -1;
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      value += simple;
      i += 2;
    } else if (e === 117) {
      let code = 0;
      for (let k = 2; k < 6; k++) {
        const h = i + k < end ? hex(text.charCodeAt(i + k)) : -1;
        if (h < 0) filterError(i, 'expected four hex digits after \\u');
        code = code * 16 + h;
      }
      value += String.fromCharCode(code);
      i += 6;
    } else {
      filterError(i, 'invalid escape in a string (expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
    }
    run = i;
  }
  return filterError(start, "the string is not closed (expected '\"')");
}

/** A JSON number (RFC 8259 §6), leading zeros tolerated. */
function readNumber(text: string, start: number, end: number): { value: number; end: number } {
  const at = (k: number) => (k < end ? text.charCodeAt(k) : -1);
  let i = start;
  if (at(i) === 45) i++;
  const digitsFrom = i;
  while (isDigit(at(i))) i++;
  if (i === digitsFrom) filterError(i, 'expected a digit');
  if (at(i) === 46) {
    i++;
    const fraction = i;
    while (isDigit(at(i))) i++;
    if (i === fraction) filterError(i, 'expected a digit after the decimal point');
  }
  if (at(i) === 101 || at(i) === 69) {
    i++;
    if (at(i) === 43 || at(i) === 45) i++;
    const exponent = i;
    while (isDigit(at(i))) i++;
    if (i === exponent) filterError(i, 'expected a digit in the exponent');
  }
  const value = Number(text.slice(start, i));
  if (!Number.isFinite(value)) filterError(start, 'the number is out of range');
  return { value, end: i };
}

/** Tokens of `text[start, end)`; offsets are positions in `text` (so a PATCH path can lex its value filter). */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const tokens: Token[] = [];
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 40 || c === 41 || c === 91 || c === 93) {
      tokens.push({ kind: text[i] as '(' | ')' | '[' | ']', offset: i });
      i++;
    } else if (c === 34) {
      const s = readString(text, i, end);
      tokens.push({ kind: 'string', value: s.value, offset: i });
      i = s.end;
    } else if (isDigit(c) || c === 45) {
      const n = readNumber(text, i, end);
      tokens.push({ kind: 'number', value: n.value, offset: i });
      i = n.end;
    } else if (isWordChar(c)) {
      const from = i;
      while (i < end && isWordChar(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'word', text: text.slice(from, i), offset: from });
    } else {
      filterError(i, c === 39 ? 'strings are quoted with \'"\', not "\'"' : 'unexpected character');
    }
  }
  tokens.push({ kind: 'end', offset: end });
  return tokens;
}
