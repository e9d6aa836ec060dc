// `npm run bench:webhooks -- [--events 100000] [--endpoints 1] [--baseline 20000]`: webhook delivery on one Roster
// process on SQLite to a local node:http receiver that verifies every signature. The endpoint is made first, then
// the backlog of events is appended through the outbox port (transactions of 100), and only then is Roster started:
// the figure is the time for the backlog to drain (fan-out + signed sends + recorded outcomes) and its rate. The
// baseline is the same receiver driven by a bare undici client sending the same signed bodies one after another
// (as Roster sends one endpoint's queue), which bounds what any sender can reach here.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { createApp } from '../src/app.ts';
import { createWebhook } from '../src/core/webhooks/endpoints.ts';
import { systemClock } from '../src/lib/clock.ts';
import { newId } from '../src/lib/ids.ts';
import { parseKeyring } from '../src/lib/keyring.ts';
import { appendEvents, openBenchStore } from './bench-store.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    endpoints: { type: 'string', default: '1' },
    baseline: { type: 'string', default: '20000' },
  },
});
const total = Number(args.events);
const endpoints = Number(args.endpoints);
const baselineCount = Number(args.baseline);

// The receiver runs in its own process, so it does not share Roster's event loop.
const receiverProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'webhook-receiver.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise<string>((ok) => receiverProcess.stdout!.once('data', (d) => ok(String(d).trim())));
const origin = `http://127.0.0.1:${port}`;
const counts = async (): Promise<{ verified: number; refused: number }> => {
  for (let tries = 0; ; tries++) {
    try {
      return (await (await fetch(`${origin}/_count`)).json()) as { verified: number; refused: number };
    } catch (error) {
      // A kept-alive connection the busy receiver closed meanwhile: ask again on a new one.
      if (tries > 5) throw error;
    }
  }
};
const waitFor = async (count: number) => {
  for (;;) {
    const c = await counts();
    if (c.verified + c.refused >= count) return c;
    await new Promise((r) => setTimeout(r, 20));
  }
};
const register = (path: string, secret: string) =>
  fetch(`${origin}/_secret`, { method: 'POST', body: JSON.stringify({ path, secret }) });

const bench = await openBenchStore('sqlite', 'roster-hooks-', { ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true' });
const { store, config } = bench;
const keyring = parseKeyring(bench.secretKey);
const tenantId = newId();
await store.tenants.insert({ id: tenantId, name: 'bench', createdAt: new Date().toISOString() });
const adminDeps = {
  webhooks: store.webhooks,
  keyring,
  clock: systemClock,
  checkWebhookUrl: () => ({ ok: true as const }),
};
let sampleSecret = '';
for (let i = 0; i < endpoints; i++) {
  const made = await createWebhook(adminDeps, 'bench', tenantId, { url: `${origin}/e${i}` });
  await register(`/e${i}`, made.secret);
  sampleSecret = made.secret;
}

// A directory user's size of payload, as user.updated carries it.
const data = {
  id: newId(),
  tenantId,
  externalId: 'ext-1',
  userName: 'someone@example.com',
  displayName: 'Some One',
  givenName: 'Some',
  familyName: 'One',
  email: 'someone@example.com',
  emails: [{ value: 'someone@example.com', type: 'work', primary: true }],
  active: true,
  groups: [],
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
};
let t0 = performance.now();
await appendEvents(store, tenantId, total, data);
process.stderr.write(`backlog: ${total} events appended in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

t0 = performance.now();
const app = await createApp({ config, store, keyring, clock: systemClock, logger: false });
await app.ready();
const drained = await waitFor(total * endpoints);
const drainS = (performance.now() - t0) / 1000;
await app.close();
const rate = (total * endpoints) / drainS;

// Baseline: the same receiver, the same signed bodies, sent one after another by a bare undici client.
const agent = new Agent({ connections: 1 });
const signer = new Webhook(sampleSecret);
const body = JSON.stringify({ id: 'evt_x', type: 'user.updated', tenantId, occurredAt: data.createdAt, data });
t0 = performance.now();
for (let i = 0; i < baselineCount; i++) {
  const id = `evt_${i}`;
  const at = new Date();
  const res = await request(`${origin}/e${endpoints - 1}`, {
    method: 'POST',
    dispatcher: agent,
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signer.sign(id, at, body),
    },
  });
  await res.body.dump();
}
const baseline = baselineCount / ((performance.now() - t0) / 1000);
await agent.close();

console.log(
  JSON.stringify(
    {
      store: 'sqlite',
      endpoints,
      backlogEvents: total,
      deliveries: total * endpoints,
      drainSeconds: Number(drainS.toFixed(2)),
      deliveredPerSecond: Math.round(rate),
      signaturesVerified: drained.verified,
      signaturesRefused: drained.refused,
      baselineUndiciPerSecond: Math.round(baseline),
      baselineVerified: (await counts()).verified - drained.verified,
      ratioToBaseline: Number((rate / baseline).toFixed(2)),
    },
    null,
    2,
  ),
);
receiverProcess.kill();
await bench.dispose();
