// Fetching a document Roster was told to read (SAML IdP metadata, ADR 0038) under the webhooks' SSRF policy
// (ADR 0019): the URL checked statically, every connection's address checked after resolution, no redirects
// followed, a deadline and a size cap. ROSTER_WEBHOOK_ALLOW_PRIVATE admits loopback and http:// (tests, local dev).
import { Agent, request } from 'undici';
import { checkedLookup, createResolver } from './checked-lookup.ts';
import { checkWebhookUrl } from './webhook-url.ts';

export interface DocumentPolicy {
  readonly allowPrivate: boolean;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly dnsServers?: readonly string[] | undefined;
}

export class DocumentFetchError extends Error {}

export function createDocumentFetcher(policy: DocumentPolicy): {
  fetch(url: string): Promise<string>;
  close(): Promise<void>;
} {
  const resolver = createResolver(policy.dnsServers, policy.timeoutMs);
  const agent = new Agent({
    connect: { lookup: checkedLookup(resolver, policy.allowPrivate), timeout: policy.timeoutMs },
    headersTimeout: policy.timeoutMs,
    bodyTimeout: policy.timeoutMs,
  });
  async function fetchDocument(url: string): Promise<string> {
    const check = checkWebhookUrl(url, policy.allowPrivate);
    if (!check.ok) throw new DocumentFetchError(check.reason);
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: 'GET',
        dispatcher: agent,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
    } catch {
      throw new DocumentFetchError(
        'the URL could not be fetched (refused address, DNS, timeout or connection failure)',
      );
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new DocumentFetchError(`the URL answered ${response.statusCode} (redirects are not followed)`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > policy.maxBytes) {
        response.body.destroy();
        throw new DocumentFetchError(`the document is larger than ${policy.maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  return { fetch: fetchDocument, close: () => agent.close() };
}
