// `npx tsx bench/feed-rate.ts [--events 100000] [--store sqlite|postgres]`: how fast a consumer drains the event
// feed. Appends the events through the outbox port in transactions of 100, then pages through
// GET /iam/v1/operator/events?limit=1000 over loopback HTTP and reports events/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { newId } from '../src/lib/ids.ts';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore, type StoreLocation } from '../src/store/open-store.ts';
import { startPostgres } from '../test/support/postgres-server.ts';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '100000' }, store: { type: 'string', default: 'sqlite' } },
});
const total = Number(args.events);
const OPERATOR = 'bench-operator-token-0123456789-abcdefghijklmnop';

const dir = mkdtempSync(join(tmpdir(), 'roster-feed-'));
const pg = args.store === 'postgres' ? await startPostgres() : undefined;
const location: StoreLocation = pg ? { kind: 'postgres', url: pg.url } : { kind: 'sqlite', path: join(dir, 'r.db') };
const secretKey = generateKeyText('k1');
const config = loadConfig({
  ROSTER_BOOTSTRAP_TOKEN: OPERATOR,
  ROSTER_SECRET_KEY: secretKey,
  DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
});
const store = await openStore(location);
const tenantId = newId();
const sample = { id: newId(), tenantId, userName: 'someone@example.com', displayName: 'Some One', active: true };
let t0 = performance.now();
for (let i = 0; i < total; i += 100) {
  const n = Math.min(100, total - i);
  await store.scim.transaction((tx) =>
    tx.events.append(
      Array.from({ length: n }, () => ({
        id: `evt_${newId()}`,
        type: 'user.updated' as const,
        tenantId,
        occurredAt: new Date().toISOString(),
        data: sample,
      })),
    ),
  );
}
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
await store.close();
await pg?.stop();
rmSync(dir, { recursive: true, force: true });
