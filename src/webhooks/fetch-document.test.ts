import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentFetcher, DocumentFetchError } from './fetch-document.ts';

describe('createDocumentFetcher (SAML metadata under the webhooks SSRF policy)', () => {
  const server = createServer((req, res) => {
    if (req.url === '/redirect') res.writeHead(302, { location: '/doc' }).end();
    else if (req.url === '/big') res.writeHead(200).end('x'.repeat(2048));
    else res.writeHead(200).end('<doc/>');
  });
  let origin = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const policy = { timeoutMs: 2000, maxBytes: 1024 };

  it('refuses loopback and plain http unless private targets are allowed', async () => {
    const strict = createDocumentFetcher({ ...policy, allowPrivate: false });
    await expect(strict.fetch(`${origin}/doc`)).rejects.toBeInstanceOf(DocumentFetchError);
    await expect(strict.fetch('https://127.0.0.1:1/doc')).rejects.toBeInstanceOf(DocumentFetchError);
    await strict.close();
    const loose = createDocumentFetcher({ ...policy, allowPrivate: true });
    expect(await loose.fetch(`${origin}/doc`)).toBe('<doc/>');
    await loose.close();
  });

  it('follows no redirect and reads no more than the cap', async () => {
    const loose = createDocumentFetcher({ ...policy, allowPrivate: true });
    await expect(loose.fetch(`${origin}/redirect`)).rejects.toThrow(/302/);
    await expect(loose.fetch(`${origin}/big`)).rejects.toThrow(/larger/);
    await loose.close();
  });
});
