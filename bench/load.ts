// A bounded closed-loop load generator over undici: N concurrent workers, each issuing requests back to back.
import { Pool } from 'undici';

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

export interface LoadResult {
  readonly name: string;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * Runs `next(i)` requests with `concurrency` workers until `maxOps` requests or `maxSeconds` elapse, whichever
 * first. `expect` decides which statuses count as success.
 *
 * Several origins (Roster processes on one store) are shared out by connection: worker k keeps one keep-alive
 * connection to origin k mod N, as an L4 balancer pins an IdP's connection to one backend. Per-request round-robin
 * would make every worker wait on the slowest process in turn; this way each process gets the same closed-loop
 * workers and the sum measures what the processes serve together.
 */
export async function runLoad(
  origin: string | readonly string[],
  name: string,
  next: (i: number) => RequestSpec,
  options: { concurrency: number; maxOps: number; maxSeconds: number; expect: (status: number) => boolean },
): Promise<LoadResult> {
  const origins = typeof origin === 'string' ? [origin] : origin;
  const pools = origins.map(
    (o, k) =>
      new Pool(o, {
        connections: Math.max(1, Math.ceil((options.concurrency - k) / origins.length)),
        pipelining: 1,
      }),
  );
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let issued = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.maxSeconds * 1000;
  const worker = async (k: number) => {
    const pool = pools[k % pools.length]!;
    while (issued < options.maxOps && performance.now() < deadline) {
      const spec = next(issued++);
      const t0 = performance.now();
      try {
        const res = await pool.request({
          method: spec.method,
          path: spec.path,
          ...(spec.body !== undefined ? { body: spec.body } : {}),
          headers: spec.headers ?? {},
        });
        await res.body.dump();
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (!options.expect(res.statusCode)) errors++;
      } catch {
        errors++;
        statuses.transport = (statuses.transport ?? 0) + 1;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, k) => worker(k)));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pools.map((p) => p.close()));
  const sorted = Float64Array.from(latencies).sort();
  return {
    name,
    ops: latencies.length,
    seconds,
    opsPerSec: latencies.length / seconds,
    p50ms: percentile(sorted, 0.5),
    p99ms: percentile(sorted, 0.99),
    errors,
    statuses,
  };
}

/**
 * Runs `count` tasks with `concurrency` workers; a task may issue several requests in order (an IdP's lookup
 * before its create). `send` returns the status; a transport error counts as a failure of that task.
 */
export async function runTasks(
  origin: string,
  concurrency: number,
  count: number,
  task: (i: number, send: (spec: RequestSpec) => Promise<{ status: number; body: string }>) => Promise<boolean>,
): Promise<{ seconds: number; requests: number; failures: number; latencies: Float64Array }> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const send = async (spec: RequestSpec) => {
    const t0 = performance.now();
    const res = await pool.request({
      method: spec.method,
      path: spec.path,
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      headers: spec.headers ?? {},
    });
    const body = await res.body.text();
    latencies.push(performance.now() - t0);
    return { status: res.statusCode, body };
  };
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        if (!(await task(i, send))) failures++;
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { seconds, requests: latencies.length, failures, latencies: Float64Array.from(latencies).sort() };
}
