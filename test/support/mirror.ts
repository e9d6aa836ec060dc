// The two consumers of the mirror test: a feed follower that keeps only its cursor, and a real webhook receiver on
// loopback that verifies every Standard Webhooks signature, dedupes by webhook-id and applies events in arrival
// order. Both build a tenant's directory with the rules of docs/events.md (applyEvents).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { applyEvents, type Mirror } from './directory-mirror.ts';
import type { Client } from './http.ts';

// biome-ignore lint/suspicious/noExplicitAny: event bodies are applied and compared whole
export type Envelope = { id: string; type: string; tenantId: string; occurredAt: string; data: any };

export const emptyMirror = (): Mirror => ({
  users: new Map(),
  groups: new Map(),
  members: new Map(),
  deleted: new Set(),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The feed answered, with something other than a page: a failure of the test, not of the wire. */
class FeedAnswerError extends Error {}

/**
 * Follows one tenant's feed with small pages, as a consumer that stores nothing but its cursor would: each page is
 * applied, then the cursor moves. A page that fails on the wire (a killed process) is asked again, from the same
 * cursor, after a short pause.
 */
export class FeedFollower {
  readonly seen: Envelope[] = [];
  pages = 0;
  wireErrors = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly token: string,
    readonly mirror: Mirror,
    private cursor: string,
    private readonly limit = 25,
  ) {}

  /** One page from the stored cursor; answers its hasMore and how many events it held. */
  async page(): Promise<{ hasMore: boolean; count: number }> {
    const res = await this.client.send('GET', `/iam/v1/events?limit=${this.limit}&after=${this.cursor}`, {
      token: this.token,
    });
    if (res.status !== 200) throw new FeedAnswerError(`feed: ${res.status} ${res.body}`);
    const body = res.json() as { data: Envelope[]; nextCursor: string; hasMore: boolean };
    applyEvents(this.mirror, body.data);
    this.seen.push(...body.data);
    this.cursor = body.nextCursor;
    this.pages++;
    return { hasMore: body.hasMore, count: body.data.length };
  }

  private async tryPage(): Promise<{ hasMore: boolean; count: number } | undefined> {
    try {
      return await this.page();
    } catch (error) {
      if (error instanceof FeedAnswerError) throw error;
      this.wireErrors++;
      await sleep(100);
      return undefined;
    }
  }

  /** Reads in the background, pausing briefly at the end of the feed, until stop(). */
  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        const page = await this.tryPage();
        if (page && !page.hasMore) await sleep(20);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /**
   * Reads until the feed is still: `quietReads` reads in a row at its end with no event, `pauseMs` apart (on
   * PostgreSQL the horizon holds events back until every older transaction has ended, so one empty page is not
   * yet the end). Fails after `timeoutMs`.
   */
  async catchUp(quietReads = 3, pauseMs = 300, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < quietReads) {
      if (Date.now() > deadline) throw new Error('the feed did not come to rest');
      const page = await this.tryPage();
      if (!page) continue;
      if (page.hasMore || page.count > 0) {
        quiet = 0;
        continue;
      }
      quiet++;
      await sleep(pauseMs);
    }
  }
}

export interface WebhookMirror {
  readonly url: string;
  readonly mirror: Mirror;
  /** First arrival of each event (by webhook-id), in arrival order. */
  readonly received: Envelope[];
  /** Requests whose signature did not verify, or whose webhook-id is not the body's id. */
  readonly failures: string[];
  /** Requests for an event already received (at-least-once redeliveries). */
  duplicates: number;
  /** Requests answered 503 while down. */
  refused: number;
  /** While true, every request is answered 503 and nothing is applied. */
  down: boolean;
  /**
   * While above 0, each answer waits this long after the event is applied, so that its sender is caught mid-delivery
   * (a kill then leaves a delivery that arrived but was never confirmed: it must come again).
   */
  answerDelayMs: number;
  /** The sender's ports of the requests waiting for their delayed answer (to find the sending process). */
  readonly waiting: Set<number>;
  /** The secret to verify with (known once the endpoint is created). */
  secret: string | undefined;
  close(): Promise<void>;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** A webhook receiver on 127.0.0.1 that builds a mirror from what it receives. */
export async function startWebhookMirror(): Promise<WebhookMirror> {
  const seen = new Set<string>();
  const state: Omit<WebhookMirror, 'url' | 'close'> = {
    mirror: emptyMirror(),
    received: [],
    failures: [],
    duplicates: 0,
    refused: 0,
    down: false,
    answerDelayMs: 0,
    waiting: new Set(),
    secret: undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.down) {
        state.refused++;
        res.writeHead(503).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const id = header(req.headers, 'webhook-id');
      let event: Envelope;
      try {
        if (state.secret === undefined) throw new Error('no secret yet');
        event = new Webhook(state.secret).verify(body, {
          'webhook-id': id,
          'webhook-timestamp': header(req.headers, 'webhook-timestamp'),
          'webhook-signature': header(req.headers, 'webhook-signature'),
        }) as Envelope;
        if (event.id !== id) throw new Error(`webhook-id ${id} is not the body's id ${event.id}`);
      } catch (error) {
        state.failures.push(`${id}: ${String(error)}`);
        res.writeHead(400).end();
        return;
      }
      if (seen.has(id)) {
        state.duplicates++;
      } else {
        seen.add(id);
        state.received.push(event);
        applyEvents(state.mirror, [event]);
      }
      const peer = req.socket.remotePort ?? 0;
      if (state.answerDelayMs <= 0) {
        res.writeHead(204).end();
        return;
      }
      state.waiting.add(peer);
      setTimeout(() => {
        state.waiting.delete(peer);
        if (!res.destroyed) res.writeHead(204).end();
      }, state.answerDelayMs);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  });
}

/** Waits until `test` holds, polling every 100 ms; fails with `what` after `timeoutMs`. */
export async function until(test: () => boolean, what: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await sleep(100);
  }
}
