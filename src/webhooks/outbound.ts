// The outbound HTTP sender for webhook deliveries (ADR 0019): POST with a deadline, no redirects, a capped read of
// the answer, keep-alive per origin, and the SSRF check on the address each connection is made to. An adapter: the
// queue and worker call it; src/core and src/scim never import it.
import { Agent, request } from 'undici';
import { checkedLookup, createResolver, TargetDnsError, TargetRefusedError } from './checked-lookup.ts';
import { checkWebhookUrl } from './webhook-url.ts';

export { isRefusedAddress } from './refused-addresses.ts';
export { checkWebhookUrl } from './webhook-url.ts';

export interface OutboundPolicy {
  /** ROSTER_WEBHOOK_ALLOW_PRIVATE: admits private/loopback/etc. targets and plain http:// URLs (tests, local dev). */
  readonly allowPrivate: boolean;
  /** Whole-request timeout, default 10_000. */
  readonly timeoutMs: number;
  /** At most this many bytes of the response body are read (default 4096); the rest is discarded, connection closed if needed. */
  readonly maxResponseBytes: number;
  /** DNS servers ("127.0.0.1:5353") to resolve with instead of the system's; from ROSTER_WEBHOOK_DNS_SERVERS (comma list). Tests point this at a real dns2 server. */
  readonly dnsServers?: readonly string[];
}

export interface OutboundResult {
  /** HTTP status, or null when no response arrived (refused target, DNS failure, timeout, TLS or connection error). */
  readonly status: number | null;
  readonly latencyMs: number;
  /** At most maxResponseBytes of the body, as UTF-8 text (replacement chars allowed). */
  readonly responseExcerpt: string;
  /** Stable machine code when status is null or the target was refused: 'target.private_address', 'target.scheme',
   * 'target.invalid_url', 'dns.failed', 'timeout', 'connection.failed', 'tls.failed', 'redirect.not_followed'
   * (status is kept for a 3xx and error set to this), plus a short human detail after a colon is fine in a
   * separate field: */
  readonly error: string | null;
  readonly errorDetail: string | null;
}

export interface WebhookSender {
  /** POST body with the given headers (content-type application/json is added). Never throws for network reasons. */
  send(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<OutboundResult>;
  close(): Promise<void>;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'ETIMEOUT',
]);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_|HOSTNAME_MISMATCH)/;

/** The error, its causes, and the attempts of an AggregateError (happy-eyeballs tries several addresses). */
function causes(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue = [error];
  while (queue.length > 0 && seen.length < 20) {
    const e = queue.shift();
    if (e === undefined || e === null || seen.includes(e)) continue;
    seen.push(e);
    if (typeof e === 'object') {
      queue.push((e as { cause?: unknown }).cause);
      if (e instanceof AggregateError) queue.push(...e.errors);
    }
  }
  return seen;
}

function classify(error: unknown): { error: string; errorDetail: string } {
  const all = causes(error);
  const detail = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 200);
  const refused = all.find((e) => e instanceof TargetRefusedError);
  if (refused) return { error: 'target.private_address', errorDetail: detail(refused) };
  const dns = all.find((e) => e instanceof TargetDnsError);
  if (dns) return { error: 'dns.failed', errorDetail: detail(dns) };
  const code = (e: unknown) => String((e as { code?: unknown }).code ?? '');
  const timeout = all.find(
    (e) =>
      (e instanceof Error || e instanceof DOMException) && (e.name === 'TimeoutError' || TIMEOUT_CODES.has(code(e))),
  );
  if (timeout) return { error: 'timeout', errorDetail: detail(timeout) };
  const tls = all.find((e) => TLS_CODE.test(code(e)));
  if (tls) return { error: 'tls.failed', errorDetail: detail(tls) };
  return { error: 'connection.failed', errorDetail: detail(all.at(-1) ?? error) };
}

/**
 * Reads at most `max` bytes into `chunks`; stopping early destroys the body, and undici then closes that connection.
 * The caller keeps `chunks` when the body fails half way.
 */
async function readCapped(
  body: AsyncIterable<Buffer> & { dump(): Promise<void> },
  max: number,
  chunks: Buffer[],
): Promise<void> {
  if (max <= 0) return body.dump();
  let total = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    total += chunk.length;
    if (total >= max) break;
  }
}

const excerptOf = (chunks: Buffer[], max: number) => Buffer.concat(chunks).subarray(0, max).toString('utf8');

function requestHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'content-type') out[name] = value;
  }
  out['content-type'] = 'application/json';
  return out;
}

export function createWebhookSender(policy: OutboundPolicy): WebhookSender {
  const resolver = createResolver(policy.dnsServers, policy.timeoutMs);
  // One Agent: a pool of kept-alive connections per origin. Every new connection goes through checkedLookup; IP
  // literals skip `lookup` in node:net, which is why send() checks the URL itself first.
  const agent = new Agent({
    connect: { lookup: checkedLookup(resolver, policy.allowPrivate), timeout: policy.timeoutMs },
    headersTimeout: policy.timeoutMs,
    bodyTimeout: policy.timeoutMs,
    keepAliveTimeout: 4_000,
  });

  async function send(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<OutboundResult> {
    const started = performance.now();
    const result = (fields: Partial<OutboundResult>): OutboundResult => ({
      status: null,
      responseExcerpt: '',
      error: null,
      errorDetail: null,
      ...fields,
      latencyMs: Math.round(performance.now() - started),
    });
    const check = checkWebhookUrl(url, policy.allowPrivate);
    if (!check.ok) return result({ error: check.code, errorDetail: check.reason });
    try {
      const response = await request(url, {
        method: 'POST',
        headers: requestHeaders(headers),
        body,
        dispatcher: agent,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const status = response.statusCode;
      // Redirects are never followed, whatever the flag: the Location could name any address, and following it
      // would move the POST somewhere the subscription never named.
      const redirect =
        status >= 300 && status < 400
          ? { error: 'redirect.not_followed', errorDetail: String(response.headers.location ?? '').slice(0, 200) }
          : {};
      const chunks: Buffer[] = [];
      try {
        await readCapped(response.body, policy.maxResponseBytes, chunks);
      } catch {
        // The receiver answered and then stalled or broke its body: its status stands (the contract keeps `error`
        // for "no response"), with the part of the body that arrived.
      }
      return result({ status, responseExcerpt: excerptOf(chunks, policy.maxResponseBytes), ...redirect });
    } catch (error) {
      return result(classify(error));
    }
  }

  return { send, close: () => agent.close() };
}
