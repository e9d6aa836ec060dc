// Name resolution for webhook connections, with the SSRF check on the addresses the socket will actually connect
// to (ADR 0019). It runs inside the connection's `lookup`, so there is no window between check and connect for a
// rebinding DNS answer to slip through, and a kept-alive connection is one to an address that was checked.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { promises as dns } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isRefusedAddress } from './refused-addresses.ts';

/** Carried through undici's connect error so the sender can report a stable code. */
export class TargetRefusedError extends Error {
  readonly code = 'target.private_address';
  constructor(readonly hostname: string) {
    super(`${hostname} resolves to an address that is not permitted for webhooks`);
    this.name = 'TargetRefusedError';
  }
}

export class TargetDnsError extends Error {
  readonly code = 'dns.failed';
  constructor(
    readonly hostname: string,
    reason: string,
  ) {
    super(`${hostname}: ${reason}`);
    this.name = 'TargetDnsError';
  }
}

const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND', 'NOTFOUND', 'ENONAME', 'NODATA']);

async function records(query: () => Promise<string[]>): Promise<{ addresses: string[]; error?: string }> {
  try {
    return { addresses: await query() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    return NO_RECORDS.has(code) ? { addresses: [] } : { addresses: [], error: code };
  }
}

export function createResolver(dnsServers: readonly string[] | undefined, timeoutMs: number): dns.Resolver {
  // c-ares retries with a growing timeout; the whole request is bounded by the sender's own deadline anyway.
  const resolver = new dns.Resolver({ timeout: Math.min(timeoutMs, 2_000), tries: 2 });
  if (dnsServers && dnsServers.length > 0) resolver.setServers([...dnsServers]);
  return resolver;
}

/**
 * All A and AAAA records of `hostname`; rejects with TargetRefusedError when ANY of them is refused (a name with
 * one public and one private address must not reach the private one by retry or happy-eyeballs), and with
 * TargetDnsError when there is none.
 */
export async function resolveChecked(
  resolver: dns.Resolver,
  hostname: string,
  allowPrivate: boolean,
): Promise<LookupAddress[]> {
  const [v4, v6] = await Promise.all([
    records(() => resolver.resolve4(hostname)),
    records(() => resolver.resolve6(hostname)),
  ]);
  const found: LookupAddress[] = [
    ...v4.addresses.map((address) => ({ address, family: 4 })),
    ...v6.addresses.map((address) => ({ address, family: 6 })),
  ];
  if (found.length === 0) throw new TargetDnsError(hostname, v4.error ?? v6.error ?? 'no A or AAAA records');
  if (!allowPrivate && found.some((a) => isRefusedAddress(a.address))) throw new TargetRefusedError(hostname);
  return found;
}

/** A `net.connect` lookup that resolves with `resolver` and connects only to checked addresses. */
export function checkedLookup(resolver: dns.Resolver, allowPrivate: boolean): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolveChecked(resolver, hostname, allowPrivate).then(
      (all) => {
        const wanted =
          options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        const [first] = wanted;
        if (!first) {
          callback(new TargetDnsError(hostname, `no IPv${options.family} address`), '', 0);
        } else if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
