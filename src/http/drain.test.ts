// ConnectionDrain on a real HTTP server over loopback, byte by byte: what each kind of connection gets at shutdown.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawConnection, type RawResponse } from '../../test/support/raw-connection.ts';
import { ConnectionDrain } from './drain.ts';

const GET = 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

interface Harness {
  server: Server;
  port: number;
  drain: ConnectionDrain;
  /** Requests the application saw. */
  handled: string[];
  /** The server side of each connection, in accept order. */
  sockets: Socket[];
  /** Requests to /hold wait until this is called. */
  release(): void;
}

let current: Harness | undefined;
afterEach(() => {
  current?.release();
  current?.server.closeAllConnections();
  current?.server.close();
  current = undefined;
});

async function start(): Promise<Harness> {
  const handled: string[] = [];
  const sockets: Socket[] = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    handled.push(req.url ?? '');
    if (req.url === '/hold') await held;
    res.setHeader('content-length', '2');
    res.end('ok');
  });
  server.on('connection', (socket: Socket) => sockets.push(socket));
  const drain = new ConnectionDrain(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  current = { server, port, drain, handled, sockets, release: () => release() };
  return current;
}

async function keptAlive(port: number): Promise<RawConnection> {
  const c = await RawConnection.open(port);
  await c.write(GET);
  expect(await c.response()).toMatchObject({ status: 200, headers: { connection: 'keep-alive' } });
  return c;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe('ConnectionDrain', () => {
  it('answers a request in progress at the signal in full, with Connection: close, and waits for it', async () => {
    const h = await start();
    const c = await RawConnection.open(h.port);
    await c.write('GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => h.handled.length === 1);
    let drained = false;
    const drain = h.drain.drain({ openWindowMs: 0, lingerMs: 5_000 }).then(() => {
      drained = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toBe(false);
    h.release();
    expect(await c.response()).toMatchObject({ status: 200, body: 'ok', headers: { connection: 'close' } });
    expect(await c.end()).toBe('fin');
    await drain;
  });

  it('accepts and serves a connection the kernel completed before the signal but Node had not accepted', async () => {
    const h = await start();
    const late = RawConnection.connecting(h.port);
    // net.connect issues the connect on the next tick; after it, the handshake is done on loopback, not yet accepted.
    await new Promise((resolve) => process.nextTick(resolve));
    const drain = h.drain.drain({ openWindowMs: 0, lingerMs: 5_000 });
    await late.write(GET);
    expect(await late.response()).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(await late.end()).toBe('fin');
    await drain;
  });

  it('serves a request on an idle keep-alive connection during the open window, with Connection: close', async () => {
    const h = await start();
    const c = await keptAlive(h.port);
    const drain = h.drain.drain({ openWindowMs: 5_000, lingerMs: 5_000 });
    await c.write(GET);
    expect(await c.response()).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(await c.end()).toBe('fin');
    await drain;
    expect(h.handled).toEqual(['/x', '/x']);
  });

  it('ends quiet connections with a FIN after the window, reads a request that crosses it without running it, and never resets', async () => {
    const h = await start();
    const idle = await keptAlive(h.port);
    const silent = await RawConnection.open(h.port);
    await until(() => h.sockets.length === 2);
    const drain = h.drain.drain({ openWindowMs: 0, lingerMs: 5_000 });
    expect(await idle.end()).toBe('fin');
    expect(await silent.end()).toBe('fin');
    const serverSide = h.sockets[0]!;
    const before = serverSide.bytesRead;
    await idle.write(GET);
    await idle.write(GET);
    // Read by the server (not left in its kernel, which would reset on close) ...
    await until(() => serverSide.bytesRead === before + 2 * GET.length);
    // ... and not run.
    expect(h.handled).toEqual(['/x']);
    idle.socket.end();
    silent.socket.end();
    await drain;
    expect([idle.ended, silent.ended]).toEqual(['fin', 'fin']);
  });

  it('lets a request whose first bytes came before the window ended arrive in full, and answers it', async () => {
    const h = await start();
    const quiet = await keptAlive(h.port);
    const started = await keptAlive(h.port);
    await started.write('GET /x HTTP/1.1\r\nHo');
    await until(() => h.sockets[1]!.bytesRead > GET.length);
    const drain = h.drain.drain({ openWindowMs: 0, lingerMs: 5_000 });
    // The quiet one is ended; the one with a request on its way is not.
    expect(await quiet.end()).toBe('fin');
    expect(started.ended).toBe('open');
    await started.write('st: 127.0.0.1\r\n\r\n');
    expect((await started.response()) as RawResponse).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(await started.end()).toBe('fin');
    quiet.socket.end();
    await drain;
  });
});
