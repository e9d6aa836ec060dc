// Strict UTF-8 decoding for request bodies: bytes that are not UTF-8 are refused, never replaced with U+FFFD.

// ignoreBOM keeps a leading U+FEFF in the text, so callers see (and can refuse) a byte order mark.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text the bytes encode, or undefined when they are not well-formed UTF-8 (RFC 3629). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}
