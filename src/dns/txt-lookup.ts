// The TXT lookups of domain verification (src/core/domains), with node:dns on the servers of ROSTER_DNS_SERVERS or
// the system's. The resolver is the webhooks' one (c-ares, bounded timeout and tries): no caching, so a removed
// record is seen at once.
import type { TxtAnswer, TxtLookup } from '../core/domains/ports.ts';
import { createResolver } from '../webhooks/checked-lookup.ts';

/** Answers that mean "the name has no such record", as opposed to a resolver that could not answer. */
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND', 'NOTFOUND', 'ENONAME', 'NODATA']);

export function createTxtLookup(dnsServers: readonly string[] | undefined, timeoutMs = 5_000): TxtLookup {
  const resolver = createResolver(dnsServers, timeoutMs);
  return async (name: string): Promise<TxtAnswer> => {
    try {
      // Each record is a list of character-strings (≤ 255 bytes each); a long value spans several, joined here.
      const records = await resolver.resolveTxt(name);
      return { kind: 'records', values: records.map((chunks) => chunks.join('')) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      return NO_RECORDS.has(code) ? { kind: 'none' } : { kind: 'error', code };
    }
  };
}
