// One HTTP/1.1 connection over a plain TCP socket, for tests that must control exactly when each byte is sent and
// tell a clean close (FIN: the server ended the connection) from a reset (RST: ECONNRESET), which an HTTP client
// library blurs ("socket hang up").
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** How the connection ended: 'open' (not yet), 'fin' (the server closed it cleanly) or the error's code. */
export type Ending = 'open' | 'fin' | string;

export class RawConnection {
  private text = '';
  private ending: Ending = 'open';
  private readonly changed = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.text += chunk;
      this.notify();
    });
    socket.on('end', () => {
      if (this.ending === 'open') this.ending = 'fin';
      this.notify();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.ending = e.code ?? e.message;
      this.notify();
    });
    socket.on('close', () => this.notify());
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      // allowHalfOpen: the server's FIN is seen as an 'end' before anything of ours could turn it into a reset.
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      socket.once('connect', () => resolve(new RawConnection(socket))).once('error', reject);
    });
  }

  /** Without waiting for the connection to be established (writes wait for it). */
  static connecting(port: number): RawConnection {
    return new RawConnection(connect({ port, host: '127.0.0.1', allowHalfOpen: true }));
  }

  get ended(): Ending {
    return this.ending;
  }

  write(data: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  /** The next complete response (Content-Length bodies only), or the connection's ending if it ends first. */
  async response(timeoutMs = 10_000): Promise<RawResponse | Ending> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.takeResponse();
      if (parsed) return parsed;
      if (this.ending !== 'open') return this.ending;
      if (Date.now() > until) throw new Error(`no response within ${timeoutMs} ms; received ${this.text}`);
      await this.nextChange(until - Date.now());
    }
  }

  /** Resolves with how the connection ended (waiting for it to end). */
  async end(timeoutMs = 10_000): Promise<Ending> {
    const until = Date.now() + timeoutMs;
    while (this.ending === 'open') {
      if (Date.now() > until) throw new Error(`connection still open after ${timeoutMs} ms`);
      await this.nextChange(until - Date.now());
    }
    return this.ending;
  }

  close(): void {
    this.socket.destroy();
  }

  private takeResponse(): RawResponse | undefined {
    const headEnd = this.text.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine, ...lines] = this.text.slice(0, headEnd).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.text.length < headEnd + 4 + length) return undefined;
    const body = this.text.slice(headEnd + 4, headEnd + 4 + length);
    this.text = this.text.slice(headEnd + 4 + length);
    return { status: Number(statusLine?.split(' ')[1]), headers, body };
  }

  private notify(): void {
    for (const wake of this.changed) wake();
    this.changed.clear();
  }

  private nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, timeoutMs));
      this.changed.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
