// `npm run bench:telemetry`: what metrics add to a request, measured in process CPU time so a loaded machine's
// scheduling noise weighs less than in the end-to-end bench. Three figures, each as interleaved A/B rounds:
//   1. the Telemetry calls a SCIM request makes (request + scimOperation), Prometheus vs no-op, ns per request;
//   2. a Fastify request through inject() with Roster's server (createServer) with vs without telemetry, µs;
//   3. the same with tracing on (an SDK recording every span to memory) vs off — what turning tracing on costs.
// Tracing off adds nothing to measure: no hook is added and the store's dialect is not wrapped (ADR 0034).
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { FastifyInstance } from 'fastify';
import { NO_TELEMETRY, type Telemetry } from '../src/core/telemetry/ports.ts';
import { createServer } from '../src/http/server.ts';
import { PrometheusTelemetry } from '../src/telemetry/prometheus.ts';
import { startTracing } from '../src/telemetry/tracing.ts';

const ROUNDS = 4;
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function callsCost(telemetry: Telemetry, n: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const status = i % 10 === 0 ? 404 : 200;
    telemetry.request({ routeClass: 'scim', method: i % 2 ? 'GET' : 'POST', status, seconds: 0.002 });
    telemetry.scimOperation(i % 2 ? 'get' : 'create', 'User', status === 200 ? 'success' : '4xx');
  }
  return Number(process.hrtime.bigint() - start) / n;
}

function server(telemetry: Telemetry | undefined): FastifyInstance {
  const app = createServer({
    logger: false,
    bodyLimit: 65536,
    oversizeDrain: { bytes: 0, ms: 0 },
    timeouts: { requestMs: 30_000, headersMs: 10_000 },
    isStoreUnavailable: () => false,
    ping: async () => {},
    telemetry,
  });
  app.get('/:tenantId/api/scim/v2/Users/:id', async () => ({ id: 'x', userName: 'ada@contoso.com' }));
  return app;
}

async function injectCost(app: FastifyInstance, n: number): Promise<number> {
  const cpu0 = cpuMicros();
  for (let i = 0; i < n; i++) {
    await app.inject({ method: 'GET', url: `/t-${i % 50}/api/scim/v2/Users/u-${i}` });
  }
  return (cpuMicros() - cpu0) / n;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const show = (label: string, a: number[], b: number[], unit: string) =>
  console.log(
    `${label}: A ${a.map((x) => x.toFixed(2)).join(' / ')} ${unit}; B ${b.map((x) => x.toFixed(2)).join(' / ')} ${unit}; median B − A ${(median(b) - median(a)).toFixed(2)} ${unit}`,
  );

async function main(): Promise<void> {
  const prometheus = new PrometheusTelemetry({ tenantLabel: false });
  const calls = { a: [] as number[], b: [] as number[] };
  callsCost(prometheus, 200_000); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    calls.a.push(callsCost(NO_TELEMETRY, 1_000_000));
    calls.b.push(callsCost(prometheus, 1_000_000));
  }
  show('1. telemetry calls per SCIM request (A no-op, B Prometheus)', calls.a, calls.b, 'ns');

  const plain = server(undefined);
  const metered = server(new PrometheusTelemetry({ tenantLabel: false }));
  await Promise.all([plain.ready(), metered.ready()]);
  const inject = { a: [] as number[], b: [] as number[] };
  await injectCost(plain, 2000);
  await injectCost(metered, 2000);
  for (let r = 0; r < ROUNDS; r++) {
    inject.a.push(await injectCost(plain, 8_000));
    inject.b.push(await injectCost(metered, 8_000));
  }
  show('2. CPU per request through Fastify (A no telemetry, B Prometheus)', inject.a, inject.b, 'µs');

  // Tracing on: only servers built after the SDK started get the hook.
  const exporter = new InMemorySpanExporter();
  const stop = startTracing({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const traced = server(new PrometheusTelemetry({ tenantLabel: false }));
  await traced.ready();
  await injectCost(traced, 2000);
  const tracing = { a: [] as number[], b: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    tracing.a.push(await injectCost(metered, 8_000));
    exporter.reset();
    tracing.b.push(await injectCost(traced, 8_000));
    exporter.reset();
  }
  show('3. CPU per request (A tracing off, B tracing on, every span recorded)', tracing.a, tracing.b, 'µs');
  await stop();
  await Promise.all([plain.close(), metered.close(), traced.close()]);
}

await main();
