// Filter text → tokens (RFC 7644 §3.4.2.2). Hand-written: no regular expression ever sees the whole filter.
import { scimErrors } from '../errors.ts';

export type Token =
  | { readonly kind: 'word'; readonly text: string; readonly offset: number }
  | { readonly kind: 'string'; readonly value: string; readonly offset: number }
  | { readonly kind: 'number'; readonly value: number; readonly offset: number }
  | { readonly kind: '(' | ')' | '[' | ']'; readonly offset: number }
  | { readonly kind: 'end'; readonly offset: number };

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Characters of attribute paths (with URN prefixes), operators and keywords. */
const isWordChar = (c: number) => isAlpha(c) || isDigit(c) || c === 95 || c === 45 || c === 46 || c === 58 || c === 36;

function fail(offset: number, what: string): never {
  throw scimErrors.invalidFilter(`invalid filter at character ${offset + 1}: ${what}`);
}

function readString(text: string, start: number): { value: string; end: number } {
  // A JSON string (RFC 8259 §7); JSON.parse validates escapes once the closing quote is found.
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      i += 2;
      continue;
    }
    if (c === 34) {
      try {
        return { value: JSON.parse(text.slice(start, i + 1)) as string, end: i + 1 };
      } catch {
        fail(start, 'the string literal has an invalid escape or control character');
      }
    }
    i++;
  }
  return fail(start, 'the string literal is not closed');
}

function readNumber(text: string, start: number): { value: number; end: number } {
  let i = start;
  if (text.charCodeAt(i) === 45) i++;
  const digitsFrom = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (i === digitsFrom) fail(start, 'expected a number');
  if (text.charCodeAt(i) === 46) {
    i++;
    const fraction = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i === fraction) fail(start, 'expected digits after the decimal point');
  }
  if (text.charCodeAt(i) === 101 || text.charCodeAt(i) === 69) {
    i++;
    if (text.charCodeAt(i) === 43 || text.charCodeAt(i) === 45) i++;
    const exponent = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i === exponent) fail(start, 'expected digits in the exponent');
  }
  const value = Number(text.slice(start, i));
  if (!Number.isFinite(value)) fail(start, 'the number is out of range');
  return { value, end: i };
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 40 || c === 41 || c === 91 || c === 93) {
      tokens.push({ kind: text[i] as '(' | ')' | '[' | ']', offset: i });
      i++;
    } else if (c === 34) {
      const s = readString(text, i);
      tokens.push({ kind: 'string', value: s.value, offset: i });
      i = s.end;
    } else if (isDigit(c) || c === 45) {
      const n = readNumber(text, i);
      tokens.push({ kind: 'number', value: n.value, offset: i });
      i = n.end;
    } else if (isWordChar(c)) {
      const start = i;
      while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), offset: start });
    } else {
      fail(i, 'unexpected character');
    }
  }
  tokens.push({ kind: 'end', offset: text.length });
  return tokens;
}
