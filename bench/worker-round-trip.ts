// `npx tsx bench/worker-round-trip.ts [--json]`: what a writer in a worker thread would add per SQL statement (ADR 0026).
// A SCIM write transaction is a JS closure that awaits each statement's result, so a worker-owned connection costs
// one round trip per statement: measured here as a postMessage round trip carrying a statement-sized message
// (SQL text, ten parameters, a row back), and as a synchronous call through Atomics.wait, next to the same
// statement run on this thread. Reports wall and this thread's CPU µs per call, median of the rounds.
import { MessageChannel, Worker } from 'node:worker_threads';

const ROUNDS = 5;
const CALLS = 5_000;
const message = {
  sql: 'update "scim_users" set "data" = ?, "search" = ?, "version" = ? where "tenant_id" = ? and "id" = ?',
  parameters: [
    '{"userName":"user1@bench.example.com","displayName":"Renamed"}',
    'user1 renamed',
    2,
    't',
    'u',
    1,
    2,
    3,
    4,
    5,
  ],
};

const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.once('message', ({ port, shared }) => {
     const flag = new Int32Array(shared);
     port.on('message', (m) => {
       if (m === 'sync') { for (;;) { Atomics.wait(flag, 0, 0); Atomics.store(flag, 0, 0); Atomics.store(flag, 1, 1); Atomics.notify(flag, 1); } }
       port.postMessage({ changes: 1, row: { id: 'u', version: m.parameters[2] } });
     });
   });`,
  { eval: true },
);
const { port1, port2 } = new MessageChannel();
const shared = new SharedArrayBuffer(8);
worker.postMessage({ port: port2, shared }, [port2]);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function measure(call: () => Promise<unknown> | unknown) {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) await call();
    const c = process.cpuUsage(c0);
    wall.push(((performance.now() - t0) * 1000) / CALLS);
    cpu.push((c.user + c.system) / CALLS);
  }
  return { wallMicros: median(wall).toFixed(1), cpuMicros: median(cpu).toFixed(1) };
}

const postMessageRoundTrip = await measure(
  () =>
    new Promise((resolve) => {
      port1.once('message', resolve);
      port1.postMessage(message);
    }),
);
port1.postMessage('sync');
const flag = new Int32Array(shared);
const atomicsRoundTrip = await measure(() => {
  structuredClone(message);
  Atomics.store(flag, 1, 0);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  Atomics.wait(flag, 1, 0);
});
if (process.argv.includes('--json'))
  console.log(JSON.stringify({ calls: CALLS, rounds: ROUNDS, postMessageRoundTrip, atomicsRoundTrip }));
else console.table({ postMessageRoundTrip, atomicsRoundTrip });
await worker.terminate();
port1.close();
