// Shutting an HTTP/1.1 server down without resetting a request a client has sent (ADR 0054).
//
// Node's own way (http.Server#close, which Fastify's close calls) destroys every connection that is idle at that
// instant. A request a keep-alive client has just written to one is then unread in the kernel, and closing a socket
// with unread data sends a reset: the client sees ECONNRESET without knowing whether its request ran. It also
// leaves alone a connection on which nothing was ever sent (a browser's preconnect): Node counts it as active, and
// close() waits on it until the shutdown grace runs out.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

interface ConnectionState {
  /** Requests read from this connection and not yet answered (more than one when the client pipelines). */
  busy: number;
  /** socket.bytesRead when its last answer ended: more since means the next request has started to arrive. */
  bytesAtRest: number;
  /** Its sending side is closed (FIN sent): whatever still arrives is read and dropped, never run. */
  ended: boolean;
}

export interface DrainTiming {
  /** How long open connections keep being served after the server stops accepting, before quiet ones are ended. */
  readonly openWindowMs: number;
  /**
   * After the open window, how long a client gets to finish what it started: a request whose first bytes came, or
   * closing its side after the FIN (then the socket is destroyed).
   */
  readonly lingerMs: number;
}

/**
 * Tracks the server's connections from the start, so that at shutdown it knows which ones are quiet (no request in
 * progress, no byte of the next one read). Install before `listen`.
 */
export class ConnectionDrain {
  private readonly connections = new Map<Socket, ConnectionState>();
  private readonly unanswered = new Set<ServerResponse>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { busy: 0, bytesAtRest: 0, ended: false });
      socket.once('close', () => this.connections.delete(socket));
    });
    // Ahead of Fastify's handler, which may answer before returning: the header must be set before that.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.track(req, res));
  }

  /**
   * Stops accepting connections, answers every request read (and every one that arrives while the open window
   * lasts) with Connection: close, then ends each connection once it is quiet with a FIN — never a reset — and
   * resolves when none is left. Bounded by the caller's grace period, not here: a request still running is waited for.
   */
  async drain(timing: DrainTiming): Promise<void> {
    this.draining = true;
    // A connection the kernel has completed but Node has not accepted yet is reset when the listening socket closes
    // (its request unread). After a full I/O poll from here on, every connection pending now has been accepted, and
    // is served like the others; only one completed in the instant before the close can still meet a reset.
    await afterNextPoll();
    // net.Server#close, not http.Server#close: the listening socket closes, the open connections stay.
    NetServer.prototype.close.call(this.server);
    for (const res of this.unanswered) if (!res.headersSent) res.setHeader('connection', 'close');
    const openUntil = Date.now() + timing.openWindowMs;
    while (this.connections.size > 0 && Date.now() < openUntil) await pause(25);
    this.dropRequestsOnEndedConnections();
    // A request whose first bytes came but not the rest (a slow or stalled client) is ended after the linger too.
    const stalledAfter = Date.now() + timing.lingerMs;
    while (this.connections.size > 0) {
      // Checked right after an I/O poll, so bytes the kernel already holds have been read (and counted) by now.
      await new Promise((resolve) => setImmediate(resolve));
      for (const [socket, state] of this.connections) {
        const quiet = socket.bytesRead === state.bytesAtRest || Date.now() > stalledAfter;
        if (!state.ended && state.busy === 0 && quiet) {
          this.endQuietly(socket, state, timing.lingerMs);
        }
      }
      if (this.connections.size > 0) await pause(25);
    }
  }

  private track(req: IncomingMessage, res: ServerResponse): void {
    const state = this.connections.get(req.socket);
    if (!state) return;
    state.busy++;
    this.unanswered.add(res);
    // Read while draining: answered, and the client told to go (its next request opens a connection, refused).
    if (this.draining && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      state.busy--;
      state.bytesAtRest = req.socket.bytesRead;
      this.unanswered.delete(res);
    });
  }

  /**
   * RFC 9112 §9.6's staged close: FIN first, then keep reading until the client closes too, so a request that
   * crossed the FIN is read (and dropped) rather than met with a reset; the client sees the connection close before
   * any answer, which tells it the request did not run.
   */
  private endQuietly(socket: Socket, state: ConnectionState, lingerMs: number): void {
    state.ended = true;
    socket.end();
    setTimeout(() => socket.destroy(), lingerMs).unref();
  }

  /** A request parsed on a connection already ended must not run: its answer could never be sent. */
  private dropRequestsOnEndedConnections(): void {
    const handlers = this.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    this.server.removeAllListeners('request');
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (this.connections.get(req.socket)?.ended) return;
      for (const handler of handlers) handler.call(this.server, req, res);
    });
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whatever phase of the event loop this is called in, resolves after a later I/O poll has run. */
async function afterNextPoll(): Promise<void> {
  // The first check phase may come before any poll (called from the poll phase itself); the second cannot.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}
