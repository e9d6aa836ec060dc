// The load client: HTTP to Roster processes on loopback over undici pools, round-robin, with latency per request.
import { Pool } from 'undici';

export interface Target {
  /** One or more Roster processes (on one database); requests go round-robin. Loopback only. */
  readonly origins: readonly string[];
  readonly operatorToken: string;
}

export interface Reply {
  readonly status: number; // 0: transport error (connection refused/reset, timeout)
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly ms: number;
}

const LOOPBACK = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

export class Client {
  private readonly pools: Pool[];
  private next = 0;
  constructor(target: Target, connections = 128) {
    for (const origin of target.origins) {
      if (!LOOPBACK.test(origin)) throw new Error(`load targets must be loopback addresses, not ${origin}`);
    }
    this.pools = target.origins.map(
      (origin) => new Pool(origin, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 }),
    );
  }

  /** `since`: the instant latency is counted from (the scheduled arrival, for open-loop traffic). */
  async request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; since?: number } = {},
  ): Promise<Reply> {
    const since = options.since ?? performance.now();
    const pool = this.pools[this.next++ % this.pools.length]!;
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined)
      headers['content-type'] =
        path.startsWith('/iam/v1/') && !path.startsWith('/iam/v1/scim/')
          ? 'application/json'
          : 'application/scim+json; charset=utf-8';
    try {
      const res = await pool.request({
        method: method as 'GET',
        path,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await res.body.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - since };
    } catch {
      return { status: 0, headers: {}, body: undefined, ms: performance.now() - since };
    }
  }

  close(): Promise<void> {
    return Promise.all(this.pools.map((p) => p.close())).then(() => {});
  }
}
