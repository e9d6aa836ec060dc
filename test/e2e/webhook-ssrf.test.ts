// The webhook sender against real sockets: a dns2 server on loopback answers the names, node:http(s) servers on
// loopback receive (or must not receive) the requests. Only loopback addresses are ever connected to; the public
// addresses below appear only in DNS answers that the sender must refuse or that the test resolves itself.
import { execFileSync } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver, resolveChecked, TargetRefusedError } from '../../src/webhooks/checked-lookup.ts';
import { checkWebhookUrl, createWebhookSender, type OutboundPolicy } from '../../src/webhooks/outbound.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { freePort } from '../support/free-port.ts';

const PUBLIC_V4 = '93.184.216.34';

interface Receiver {
  readonly server: Server;
  readonly port: number;
  connections: number;
  requests: number;
}

/** A loopback HTTP server that counts TCP connections and requests. */
async function receiver(
  host: string,
  handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void = (_q, s) =>
    s.end('ok'),
  server: Server = createServer(),
): Promise<Receiver> {
  const r = { server, port: 0, connections: 0, requests: 0 };
  server.on('connection', () => {
    r.connections += 1;
  });
  server.on('request', (req, res) => {
    r.requests += 1;
    req.resume();
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  r.port = (server.address() as { port: number }).port;
  return r;
}

const stop = (r: Receiver) =>
  new Promise<void>((resolve) => {
    r.server.closeAllConnections();
    r.server.close(() => resolve());
  });

let names: TestDnsServer;
const policy = (over: Partial<OutboundPolicy> = {}): OutboundPolicy => ({
  allowPrivate: false,
  timeoutMs: 5_000,
  maxResponseBytes: 4096,
  dnsServers: [names.address],
  ...over,
});

beforeAll(async () => {
  names = await startDnsServer((name, type, nth) => {
    const a = type === 'A';
    switch (name) {
      case 'loopback.test':
        return a ? ['127.0.0.1'] : [];
      case 'loopback6.test':
        return a ? [] : ['::1'];
      case 'public-first.test':
        return a ? [PUBLIC_V4, '10.1.2.3'] : ['2606:4700::1111', 'fe80::1'];
      case 'mixed.test':
        return a ? ['127.0.0.1', PUBLIC_V4] : [];
      // Public for the first query (what a create-time resolver would see), loopback ever after.
      case 'rebind.test':
        return a ? [nth === 1 ? PUBLIC_V4 : '127.0.0.1'] : [];
      default:
        return [];
    }
  });
});
afterAll(() => names.close());

describe('webhook sender, ROSTER_WEBHOOK_ALLOW_PRIVATE=false', () => {
  it.each(['https://10.0.0.5/', 'https://169.254.169.254/latest/meta-data/', 'https://[fd00:ec2::254]/'])(
    'refuses the private literal %s statically and at send, without a DNS query or a connection',
    async (url) => {
      const sender = createWebhookSender(policy());
      const queries = [...names.queries.values()].reduce((a, b) => a + b, 0);
      expect(checkWebhookUrl(url, false)).toMatchObject({ ok: false, code: 'target.private_address' });
      const result = await sender.send(url, {}, '{}');
      expect(result).toMatchObject({ status: null, error: 'target.private_address', responseExcerpt: '' });
      expect([...names.queries.values()].reduce((a, b) => a + b, 0)).toBe(queries);
      await sender.close();
    },
  );

  it.each([
    ['127.0.0.1', 'https://127.0.0.1:PORT/'],
    ['::1', 'https://[::1]:PORT/'],
  ])('refuses the loopback literal %s: the listening server sees no connection', async (host, template) => {
    const r = await receiver(host);
    const url = template.replace('PORT', String(r.port));
    const sender = createWebhookSender(policy());
    expect(checkWebhookUrl(url, false)).toMatchObject({ ok: false, code: 'target.private_address' });
    expect(await sender.send(url, {}, '{}')).toMatchObject({ status: null, error: 'target.private_address' });
    expect(r.connections).toBe(0);
    await sender.close();
    await stop(r);
  });

  it.each([
    ['loopback.test', '127.0.0.1'],
    ['loopback6.test', '::1'],
    ['mixed.test', '127.0.0.1'],
  ])('refuses %s (resolves to %s, among others) at send time, though the static check passed', async (name, host) => {
    const r = await receiver(host);
    const url = `https://${name}:${r.port}/hook`;
    expect(checkWebhookUrl(url, false)).toEqual({ ok: true });
    const sender = createWebhookSender(policy());
    const result = await sender.send(url, {}, '{}');
    expect(result).toMatchObject({ status: null, error: 'target.private_address' });
    expect(result.errorDetail).toContain(name);
    expect(names.queries.get(`A ${name}`)).toBeGreaterThan(0);
    expect(r.connections).toBe(0);
    await sender.close();
    // Control: with the flag the same name reaches the same server, so the 0 above is the refusal's doing.
    const open = createWebhookSender(policy({ allowPrivate: true }));
    expect(await open.send(url.replace('https:', 'http:'), {}, '{}')).toMatchObject({ status: 200, error: null });
    expect(r.connections).toBe(1);
    await open.close();
    await stop(r);
  });

  it('DNS rebinding: a name that resolved to a public address when checked resolves to loopback at delivery and is refused', async () => {
    const r = await receiver('127.0.0.1');
    const url = `https://rebind.test:${r.port}/`;
    expect(checkWebhookUrl(url, false)).toEqual({ ok: true });
    // What a create-time resolution would have seen (first query).
    const resolver = new dns.Resolver();
    resolver.setServers([names.address]);
    expect(await resolver.resolve4('rebind.test')).toEqual([PUBLIC_V4]);
    const sender = createWebhookSender(policy());
    expect(await sender.send(url, {}, '{}')).toMatchObject({ status: null, error: 'target.private_address' });
    expect(names.queries.get('A rebind.test')).toBe(2);
    expect(r.connections).toBe(0);
    await sender.close();
    await stop(r);
  });

  it('refuses plain http:// (target.scheme) without connecting; the flag admits it', async () => {
    const r = await receiver('127.0.0.1');
    const url = `http://127.0.0.1:${r.port}/`;
    expect(checkWebhookUrl(url, false)).toMatchObject({ ok: false, code: 'target.scheme' });
    const closed = createWebhookSender(policy());
    expect(await closed.send(url, {}, '{}')).toMatchObject({ status: null, error: 'target.scheme' });
    expect(r.connections).toBe(0);
    await closed.close();
    const open = createWebhookSender(policy({ allowPrivate: true }));
    expect(await open.send(url, {}, '{}')).toMatchObject({ status: 200, responseExcerpt: 'ok', error: null });
    expect(r.requests).toBe(1);
    await open.close();
    await stop(r);
  });

  it('judges every resolved address, not the first: a public A record first does not admit a private one after it', async () => {
    // resolveChecked is the step inside the connection's lookup; called directly so that no socket is opened even
    // if it were wrong (a connect here would go to the public address).
    const resolver = createResolver([names.address], 5_000);
    await expect(resolveChecked(resolver, 'public-first.test', false)).rejects.toBeInstanceOf(TargetRefusedError);
    expect(await resolveChecked(resolver, 'public-first.test', true)).toEqual([
      { address: PUBLIC_V4, family: 4 },
      { address: '10.1.2.3', family: 4 },
      { address: '2606:4700::1111', family: 6 },
      { address: 'fe80::1', family: 6 },
    ]);
  });

  it('reports a name without records as dns.failed', async () => {
    const sender = createWebhookSender(policy());
    expect(await sender.send('https://nowhere.test/', {}, '{}')).toMatchObject({ status: null, error: 'dns.failed' });
    await sender.close();
  });
});

describe('webhook sender, ROSTER_WEBHOOK_ALLOW_PRIVATE=true (loopback receivers)', () => {
  it('never follows a redirect, even with the flag: 302 to another loopback server is recorded, not followed', async () => {
    const target = await receiver('127.0.0.1');
    const redirecting = await receiver('127.0.0.1', (_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${target.port}/` }).end('moved');
    });
    const sender = createWebhookSender(policy({ allowPrivate: true }));
    const result = await sender.send(`http://127.0.0.1:${redirecting.port}/`, {}, '{}');
    expect(result).toMatchObject({ status: 302, error: 'redirect.not_followed', responseExcerpt: 'moved' });
    expect(result.errorDetail).toBe(`http://127.0.0.1:${target.port}/`);
    expect([target.connections, target.requests]).toEqual([0, 0]);
    await sender.close();
    await Promise.all([stop(target), stop(redirecting)]);
  });

  it('POSTs the body with the given headers and content-type application/json', async () => {
    let seen: Record<string, string | undefined> = {};
    const r = await receiver(
      '127.0.0.1',
      () => {},
      createServer((req, res) => {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          seen = {
            method: req.method,
            type: req.headers['content-type'],
            sig: req.headers['webhook-signature'] as string,
            body,
          };
          res.writeHead(204).end();
        });
      }),
    );
    const sender = createWebhookSender(policy({ allowPrivate: true }));
    const result = await sender.send(
      `http://127.0.0.1:${r.port}/`,
      { 'webhook-signature': 'v1,abc', 'Content-Type': 'text/plain' },
      '{"a":1}',
    );
    expect(result).toMatchObject({ status: 204, error: null, errorDetail: null, responseExcerpt: '' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual({ method: 'POST', type: 'application/json', sig: 'v1,abc', body: '{"a":1}' });
    await sender.close();
    await stop(r);
  });

  it('gives up on a receiver that never answers: timeout', async () => {
    const r = await receiver('127.0.0.1', () => {});
    const sender = createWebhookSender(policy({ allowPrivate: true, timeoutMs: 1000 }));
    expect(await sender.send(`http://127.0.0.1:${r.port}/`, {}, '{}')).toMatchObject({
      status: null,
      error: 'timeout',
    });
    await sender.close();
    await stop(r);
  });

  it('keeps the status and the part of the body that arrived when the receiver stalls mid-body', async () => {
    const r = await receiver('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('accepted, and then nothing');
    });
    const sender = createWebhookSender(policy({ allowPrivate: true, timeoutMs: 1000 }));
    expect(await sender.send(`http://127.0.0.1:${r.port}/`, {}, '{}')).toMatchObject({
      status: 200,
      responseExcerpt: 'accepted, and then nothing',
      error: null,
    });
    await sender.close();
    await stop(r);
  });

  it('reads at most maxResponseBytes of a 5 MB answer and resolves', async () => {
    const r = await receiver('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-length': String(5 * 1024 * 1024) });
      res.end(Buffer.alloc(5 * 1024 * 1024, 'x'));
    });
    const sender = createWebhookSender(policy({ allowPrivate: true }));
    const result = await sender.send(`http://127.0.0.1:${r.port}/`, {}, '{}');
    expect(result).toMatchObject({ status: 200, error: null });
    expect(result.responseExcerpt).toBe('x'.repeat(4096));
    await sender.close();
    await stop(r);
  });

  it('reports a closed port as connection.failed', async () => {
    const port = await freePort();
    const sender = createWebhookSender(policy({ allowPrivate: true }));
    expect(await sender.send(`http://127.0.0.1:${port}/`, {}, '{}')).toMatchObject({
      status: null,
      error: 'connection.failed',
    });
    await sender.close();
  });

  it('reports an untrusted certificate as tls.failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tls = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
    rmSync(dir, { recursive: true, force: true });
    const r = await receiver('127.0.0.1', undefined, tls);
    const sender = createWebhookSender(policy({ allowPrivate: true }));
    expect(await sender.send(`https://127.0.0.1:${r.port}/`, {}, '{}')).toMatchObject({
      status: null,
      error: 'tls.failed',
    });
    expect(r.requests).toBe(0);
    await sender.close();
    await stop(r);
  });

  it('reuses kept-alive connections: 200 sequential sends by name open few connections', async () => {
    const r = await receiver('127.0.0.1');
    const sender = createWebhookSender(policy({ allowPrivate: true }));
    for (let i = 0; i < 200; i++) {
      expect((await sender.send(`http://loopback.test:${r.port}/`, {}, `{"i":${i}}`)).status).toBe(200);
    }
    expect(r.requests).toBe(200);
    expect(r.connections).toBeLessThanOrEqual(3); // two here: undici's pool opens a second at request 2
    await sender.close();
    await stop(r);
  });
});
