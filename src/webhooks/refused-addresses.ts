// Which IP addresses a webhook may never be delivered to (ADR 0019). Pure: no I/O, so the connection-time check
// and the create-time URL check judge an address the same way.
import ipaddr from 'ipaddr.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
const cidr = (text: string): Cidr => ipaddr.parseCIDR(text);

/**
 * Refused even where ipaddr.js's range() would say 'unicast' in some version: the list is the policy, range() is a
 * second net for anything special-purpose we did not name (AMT, AS112, ORCHID, segment routing, …).
 */
const REFUSED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '255.255.255.255/32',
].map(cidr);

const REFUSED_V6 = [
  '::/128',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
  '64:ff9b::/96',
  '64:ff9b:1::/48',
  '2001:db8::/32',
  'fd00:ec2::254/128',
].map(cidr);

function inAny(address: ipaddr.IPv4 | ipaddr.IPv6, list: readonly Cidr[]): boolean {
  return list.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

function refusedV4(address: ipaddr.IPv4): boolean {
  return address.range() !== 'unicast' || inAny(address, REFUSED_V4);
}

/** The IPv4 address an IPv6 address carries where the network would deliver to it (mapped, compatible, 6to4). */
function embeddedV4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zeros = (n: number) => p.slice(0, n).every((part) => part === 0);
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (RFC 6145), ::a.b.c.d (compatible, deprecated)
  if (zeros(5) && p[5] === 0xffff) return v4(p[6] ?? 0, p[7] ?? 0);
  if (zeros(4) && p[4] === 0xffff && p[5] === 0) return v4(p[6] ?? 0, p[7] ?? 0);
  if (zeros(6)) return v4(p[6] ?? 0, p[7] ?? 0);
  if (p[0] === 0x2002) return v4(p[1] ?? 0, p[2] ?? 0); // 6to4: 2002:AABB:CCDD::/48
  return undefined;
}

function refusedV6(address: ipaddr.IPv6): boolean {
  if (inAny(address, REFUSED_V6)) return true;
  const v4 = embeddedV4(address);
  if (v4) return refusedV4(v4);
  // Teredo (2001::/32) hides the client's address XOR-ed; it is never a webhook receiver, so it is not decoded.
  return address.range() !== 'unicast';
}

/** True when the address is in a refused range. Anything that does not parse as an IP address is refused. */
export function isRefusedAddress(address: string): boolean {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(text);
  } catch {
    return true;
  }
  return parsed.kind() === 'ipv4' ? refusedV4(parsed as ipaddr.IPv4) : refusedV6(parsed as ipaddr.IPv6);
}
