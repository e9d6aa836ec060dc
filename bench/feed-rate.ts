// `npx tsx bench/feed-rate.ts [--events 100000] [--store sqlite|postgres]`: how fast a consumer drains the event
// feed. Appends the events through the outbox port in transactions of 100, then pages through
// GET /iam/v1/operator/events?limit=1000 over loopback HTTP and reports events/s.
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { systemClock } from '../src/lib/clock.ts';
import { newId } from '../src/lib/ids.ts';
import { parseKeyring } from '../src/lib/keyring.ts';
import { appendEvents, BENCH_OPERATOR_TOKEN, openBenchStore } from './bench-store.ts';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '100000' }, store: { type: 'string', default: 'sqlite' } },
});
const total = Number(args.events);
const OPERATOR = BENCH_OPERATOR_TOKEN;

const bench = await openBenchStore(args.store, 'roster-feed-');
const { location, store, config, secretKey } = bench;
const tenantId = newId();
const sample = { id: newId(), tenantId, userName: 'someone@example.com', displayName: 'Some One', active: true };
let t0 = performance.now();
await appendEvents(store, tenantId, total, sample);
process.stderr.write(`appended ${total} events in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
const app = await createApp({ config, store, keyring: parseKeyring(secretKey), clock: systemClock, logger: false });
const origin = await app.listen({ host: '127.0.0.1', port: 0 });
t0 = performance.now();
let seen = 0;
let cursor: string | undefined;
for (;;) {
  const res = await fetch(`${origin}/iam/v1/operator/events?limit=1000${cursor ? `&after=${cursor}` : ''}`, {
    headers: { authorization: `Bearer ${OPERATOR}` },
  });
  const page = (await res.json()) as { data: unknown[]; nextCursor: string; hasMore: boolean };
  seen += page.data.length;
  cursor = page.nextCursor;
  if (!page.hasMore) break;
}
const seconds = (performance.now() - t0) / 1000;
console.log(
  `feed read (${location.kind}): ${seen} events in ${seconds.toFixed(2)} s = ${Math.round(seen / seconds)} events/s`,
);
await app.close();
await bench.dispose();
