// A real webhook receiver on loopback (node:http): records every request, checks its Standard Webhooks signature
// against the secrets it is told, and answers as a test wants (2xx, an error status, or never).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status this receiver answered (null: it never answered). */
  readonly answered: number | null;
}

export type Answer = number | 'hang';

export interface Receiver {
  /** http://127.0.0.1:port */
  readonly origin: string;
  readonly received: Received[];
  /** How the next requests to `path` are answered (default 204). */
  answer(path: string, how: Answer): void;
  /** The requests to `path` that were answered with a 2xx, in arrival order. */
  delivered(path: string): Received[];
  /** Waits until `test` holds for the requests so far (polling; fails after `ms`). */
  until(test: (received: Received[]) => boolean, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** Whether the request's signature verifies with `secret` (standardwebhooks' own verification). */
export function verifies(secret: string, r: Pick<Received, 'headers' | 'body'>): boolean {
  try {
    new Webhook(secret).verify(r.body, {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    });
    return true;
  } catch {
    return false;
  }
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answers = new Map<string, Answer>();
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const how = answers.get(path) ?? 204;
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path, headers: req.headers, body, answered: how === 'hang' ? null : how });
      if (how === 'hang') {
        hanging.add(res);
        return;
      }
      res.statusCode = how;
      res.end(how >= 400 ? `refused with ${how}` : '');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    answer: (path, how) => answers.set(path, how),
    delivered: (path) => received.filter((r) => r.path === path && r.answered !== null && r.answered < 300),
    async until(test, ms = 15_000) {
      const end = Date.now() + ms;
      while (!test(received)) {
        if (Date.now() > end)
          throw new Error(`receiver: condition not met after ${ms} ms (${received.length} requests)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
