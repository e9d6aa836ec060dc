// The static check of a webhook URL at create/update time. It does not resolve names: an answer today says nothing
// about the answer at delivery time (DNS rebinding), so hostnames are judged again on every connection.
import { isIP } from 'node:net';
import { isRefusedAddress } from './refused-addresses.ts';

export type UrlCheck = { ok: true } | { ok: false; code: string; reason: string };

const refuse = (code: string, reason: string): UrlCheck => ({ ok: false, code, reason });

/** The host without the brackets of an IPv6 literal. */
export function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

export function checkWebhookUrl(url: string, allowPrivate: boolean): UrlCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('target.invalid_url', 'not an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return refuse('target.scheme', 'the URL must be https://');
  }
  if (parsed.protocol === 'http:' && !allowPrivate) {
    return refuse('target.scheme', 'the URL must be https:// (plain http:// only with ROSTER_WEBHOOK_ALLOW_PRIVATE)');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return refuse('target.invalid_url', 'the URL must not carry credentials; send them in a header');
  }
  // `https://x/#` parses to an empty hash, so the raw text is looked at too.
  if (parsed.hash !== '' || url.includes('#')) return refuse('target.invalid_url', 'the URL must not have a fragment');
  const host = bareHost(parsed);
  if (host === '') return refuse('target.invalid_url', 'the URL has no host');
  if (allowPrivate) return { ok: true };
  if (isIP(host) !== 0 && isRefusedAddress(host)) {
    return refuse('target.private_address', 'the address is loopback, private, link-local or otherwise reserved');
  }
  // Names the resolver would answer with loopback by convention (RFC 6761); refused early for a clearer error.
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return refuse('target.private_address', 'localhost is not a permitted webhook target');
  }
  return { ok: true };
}
