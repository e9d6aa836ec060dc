// Case folding for caseExact=false comparisons and the userName uniqueness key (RFC 7643 §2.1, §4.1.1).

/**
 * Width-mapping (fullwidth ｂ → b, via NFKC), then lower-casing, then NFC — close to PRECIS UsernameCaseMapped
 * (RFC 8265). It makes `Bob@X.COM`, fullwidth `ｂｏｂ`, the Kelvin sign `K`, NFD `é` and titlecase `ǅ` collide with
 * their plain forms. `toLowerCase` is locale-independent, so Turkish dotted `İ` lowers to `i̇` (i + U+0307) and stays
 * distinct from `i`.
 */
export function foldCase(value: string): string {
  return value.normalize('NFKC').toLowerCase().normalize('NFC');
}

/** The key under which userName is unique per tenant. */
export function userNameKey(userName: string): string {
  return foldCase(userName);
}
