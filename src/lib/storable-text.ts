// Text no store can keep as given: NUL (PostgreSQL refuses it in text and jsonb; SQLite would keep it, so the two
// stores would disagree) and unpaired UTF-16 surrogates (not Unicode; PostgreSQL would store U+FFFD instead).

/** Why `value` cannot be stored, or undefined when it can. */
export function unstorableReason(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0) return 'a NUL character';
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return 'an unpaired surrogate';
    }
    if (c >= 0xdc00 && c <= 0xdfff) return 'an unpaired surrogate';
  }
  return undefined;
}

/**
 * The first string (value or object key) in a JSON-like value that cannot be stored. Walks with an explicit stack,
 * so hostile nesting cannot exhaust the call stack.
 */
export function findUnstorableText(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next === 'string') {
      const reason = unstorableReason(next);
      if (reason) return reason;
    } else if (Array.isArray(next)) {
      for (const item of next) stack.push(item);
    } else if (next !== null && typeof next === 'object') {
      for (const [key, item] of Object.entries(next)) {
        stack.push(key, item);
      }
    }
  }
  return undefined;
}

/** `value` with NUL and unpaired surrogates replaced by U+FFFD: for records (logs) that must be written anyway. */
export function toStorableText(value: string): string {
  if (unstorableReason(value) === undefined) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && value.charCodeAt(i + 1) >= 0xdc00 && value.charCodeAt(i + 1) <= 0xdfff) {
      out += value.slice(i, i + 2);
      i++;
    } else out += c === 0 || (c >= 0xd800 && c <= 0xdfff) ? '\ufffd' : value[i];
  }
  return out;
}
