// An HTTP client that behaves like a browser for redirect chains: keeps cookies (host + path), follows 3xx by hand.

interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly host: string;
  readonly path: string;
}

export class CookieJar {
  private cookies: Cookie[] = [];

  store(url: URL, setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = val || '/';
        if (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) expired = true;
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.hostname && c.path === path));
      if (!expired) this.cookies.push({ name, value, host: url.hostname, path });
    }
  }

  header(url: URL): string {
    return this.cookies
      .filter(
        (c) =>
          c.host === url.hostname &&
          (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  clear(): void {
    this.cookies = [];
  }
}

export interface Hop {
  readonly url: URL;
  readonly status: number;
}

export interface FollowResult {
  /** The last URL reached: either the stop URL (not fetched) or the page that answered without a redirect. */
  readonly url: URL;
  readonly stopped: boolean;
  readonly status: number;
  readonly body: string;
  readonly hops: readonly Hop[];
}

export class Browser {
  readonly jar = new CookieJar();

  async get(url: URL | string): Promise<Response> {
    const target = new URL(url);
    const cookie = this.jar.header(target);
    const res = await fetch(target, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    this.jar.store(target, res.headers.getSetCookie());
    return res;
  }

  /**
   * Follows redirects from `start` until `stopAt(url)` (not fetched), or a non-redirect answer. `rewrite` lets a test
   * tamper with a hop (e.g. change `state` on the way back).
   */
  async follow(
    start: URL | string,
    stopAt: (url: URL) => boolean,
    rewrite: (url: URL) => URL = (u) => u,
  ): Promise<FollowResult> {
    let url = new URL(start);
    const hops: Hop[] = [];
    for (let i = 0; i < 25; i++) {
      if (stopAt(url)) return { url, stopped: true, status: 0, body: '', hops };
      const res = await this.get(url);
      hops.push({ url, status: res.status });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        url = rewrite(new URL(location, url));
        continue;
      }
      return { url, stopped: false, status: res.status, body: await res.text(), hops };
    }
    throw new Error(`too many redirects: ${hops.map((h) => h.url.pathname).join(' → ')}`);
  }
}
