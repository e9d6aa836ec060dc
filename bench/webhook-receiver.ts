// The webhook-rate bench's receiver, in its own process (as a vendor's backend would be): verifies every request's
// Standard Webhooks signature with the secret registered for its path, answers 204 (400 if it does not verify).
// POST /_secret {path, secret} registers a secret; GET /_count answers {verified, refused}. Prints its port.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

const secrets = new Map<string, Webhook>();
let verified = 0;
let refused = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/_count') {
      res.end(JSON.stringify({ verified, refused }));
      return;
    }
    if (req.url === '/_secret') {
      const { path, secret } = JSON.parse(body) as { path: string; secret: string };
      secrets.set(path, new Webhook(secret));
      res.end();
      return;
    }
    try {
      secrets.get(req.url ?? '')!.verify(body, req.headers as Record<string, string>);
      verified++;
      res.statusCode = 204;
    } catch {
      refused++;
      res.statusCode = 400;
    }
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
