// SCIM request bodies: JSON in UTF-8 only, scanned before parsing so hostile input cannot recurse, and so a key
// given twice cannot mean one thing to a validator in front of Roster and another to Roster (JSON.parse keeps the
// last).
import { decodeUtf8 } from '../../lib/utf8.ts';
import { scimErrors } from '../../scim/errors.ts';

export const MAX_JSON_DEPTH = 32;

export type JsonScan = { readonly depth: number; readonly duplicateKey?: string };

/**
 * One pass over a JSON text: the deepest array/object nesting (stopping early past `limit`), and the first object
 * key that repeats within one object. SCIM names are case-insensitive, so keys compare case-insensitively
 * (`userName` and `USERNAME` name one attribute). Brackets inside strings are ignored; escapes in keys are decoded.
 */
export function scanJson(text: string, limit: number): JsonScan {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) {
          escaped = true;
          i++;
        } else if (d === 34) break;
      }
      const keys = open.at(-1);
      if (expectKey && keys) {
        const raw = text.slice(start + 1, i);
        let key = raw;
        if (escaped) {
          try {
            key = JSON.parse(text.slice(start, i + 1)) as string;
          } catch {
            return { depth: max }; // not valid JSON; JSON.parse will say so
          }
        }
        const folded = key.toLowerCase();
        if (keys.has(folded)) return { depth: max, duplicateKey: key };
        keys.add(folded);
        expectKey = false;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      open.push(c === 123 ? new Set() : null);
      expectKey = c === 123;
      if (open.length > max) max = open.length;
      if (max > limit) return { depth: max };
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      open.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      expectKey = open.at(-1) != null;
    }
  }
  return { depth: max };
}

/** Deepest array/object nesting of a JSON text, ignoring brackets inside strings; stops early past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  return scanJson(text, limit).depth;
}

const FORBIDDEN_KEYS = /"(?:__proto__|constructor|prototype)"\s*:/;

/**
 * A SCIM request body → its JSON object. Bytes are decoded strictly: RFC 8259 §8.1 requires UTF-8, and replacing
 * invalid sequences with U+FFFD would store something the client never sent.
 */
export function parseScimJson(body: Uint8Array | string): unknown {
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  if (text === undefined) throw scimErrors.invalidSyntax('the request body is not valid UTF-8');
  if (text.length === 0) throw scimErrors.invalidSyntax('the request body is empty');
  if (text.charCodeAt(0) === 0xfeff) throw scimErrors.invalidSyntax('the request body starts with a byte order mark');
  const scan = scanJson(text, MAX_JSON_DEPTH);
  if (scan.depth > MAX_JSON_DEPTH) {
    throw scimErrors.invalidSyntax(`the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw scimErrors.invalidSyntax('the request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw scimErrors.invalidSyntax('the request body must be a JSON object');
  }
  if (scan.duplicateKey !== undefined) {
    throw scimErrors.invalidSyntax('the request body names one key twice in an object (names are case-insensitive)');
  }
  // Prototype-polluting keys are refused outright; nothing in SCIM is named like that.
  if (FORBIDDEN_KEYS.test(text)) throw scimErrors.invalidSyntax('the request body uses a reserved key name');
  return value;
}
