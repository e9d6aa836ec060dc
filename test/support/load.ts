// A steady SCIM write load over real loopback HTTP with a ledger of what was acknowledged, for the fault tests:
// each writer POSTs users with unique names; every outcome (status, Retry-After, time, transport error) is kept.
import { expect } from 'vitest';
import { entraUser } from './scim.ts';

export interface Outcome {
  readonly userName: string;
  readonly startedAt: number;
  readonly ms: number;
  readonly status?: number;
  readonly retryAfter?: string | null;
  readonly contentType?: string | null;
  readonly body?: unknown;
  /** Transport failure (no HTTP response): the error's code or name. */
  readonly error?: string;
}

export interface LoadTarget {
  /** e.g. http://127.0.0.1:1234 */
  readonly origin: string;
  /** SCIM base path, e.g. /<tenantId>/api/scim/v2 */
  readonly base: string;
  readonly token: string;
}

export const scimHeaders = (token: string) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/scim+json; charset=utf-8',
});

export class WriteLoad {
  readonly outcomes: Outcome[] = [];
  /** userName → id of every create answered 201. */
  readonly acknowledged = new Map<string, string>();
  private running = false;
  private workers: Promise<void>[] = [];
  private n = 0;

  constructor(
    private readonly target: LoadTarget,
    private readonly options: {
      writers?: number;
      pauseMs?: number;
      deadlineMs?: number;
      prefix?: string;
      /** Stop a writer at its first transport error (the server went away). */
      stopOnTransportError?: boolean;
    } = {},
  ) {}

  start(): void {
    this.running = true;
    this.workers = Array.from({ length: this.options.writers ?? 6 }, () => this.writer());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Resolves when `predicate` holds for an outcome recorded from now on (or rejects after `timeoutMs`). */
  async waitFor(predicate: (o: Outcome) => boolean, timeoutMs: number): Promise<void> {
    const from = this.outcomes.length;
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.outcomes.slice(from).some(predicate)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no matching outcome within ${timeoutMs} ms`);
  }

  private async writer(): Promise<void> {
    const { origin, base, token } = this.target;
    while (this.running) {
      const userName = `${this.options.prefix ?? 'load'}${this.n++}@x.com`;
      const startedAt = Date.now();
      try {
        const res = await fetch(`${origin}${base}/Users`, {
          method: 'POST',
          headers: scimHeaders(token),
          body: JSON.stringify(entraUser(userName, userName)),
          signal: AbortSignal.timeout(this.options.deadlineMs ?? 15_000),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {}
        if (res.status === 201) this.acknowledged.set(userName, (body as { id: string }).id);
        this.outcomes.push({
          userName,
          startedAt,
          ms: Date.now() - startedAt,
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          contentType: res.headers.get('content-type'),
          body,
        });
      } catch (error) {
        const e = error as { name?: string; cause?: { code?: string } };
        this.outcomes.push({
          userName,
          startedAt,
          ms: Date.now() - startedAt,
          error: e.cause?.code ?? e.name ?? 'error',
        });
        if (this.options.stopOnTransportError) return;
      }
      if (this.options.pauseMs) await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }
}

/** A 503 as the plan wants it: a SCIM error document with an integer Retry-After. */
export function expectScim503(o: Outcome): void {
  expect(o.status, `${o.userName}: ${JSON.stringify(o.body)}`).toBe(503);
  expect(o.retryAfter).toMatch(/^[1-9][0-9]*$/);
  expect(o.contentType).toMatch(/^application\/scim\+json/);
  expect(o.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
}

/**
 * Every acknowledged create is there with its name; every other attempted create is all-or-nothing (absent, or
 * present once and whole). Returns how many unacknowledged creates turned out to be committed.
 */
export async function checkLedger(target: LoadTarget, load: WriteLoad): Promise<{ committedUnacknowledged: number }> {
  const { origin, base, token } = target;
  const get = async (path: string) => {
    const res = await fetch(`${origin}${base}${path}`, { headers: scimHeaders(token) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  for (const [userName, id] of load.acknowledged) {
    const res = await get(`/Users/${id}`);
    expect(res.status, `acknowledged ${userName} is missing`).toBe(200);
    expect(res.body.userName).toBe(userName);
  }
  let committedUnacknowledged = 0;
  for (const o of load.outcomes) {
    if (load.acknowledged.has(o.userName)) continue;
    const found = await get(`/Users?filter=${encodeURIComponent(`userName eq "${o.userName}"`)}`);
    expect(found.status).toBe(200);
    const total = found.body.totalResults as number;
    expect(total).toBeLessThanOrEqual(1);
    if (total === 1) {
      committedUnacknowledged++;
      expect((found.body.Resources as { displayName?: string }[])[0]!.displayName).toBe('Barbara Jensen');
    }
  }
  return { committedUnacknowledged };
}
