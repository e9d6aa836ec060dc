// Security plan S3–S6 at the relying-party boundary: a hand-made IdP on loopback answers the code exchange with
// ID tokens that are wrong in one way each; every one must be refused, and only the well-formed one accepted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamClient, UpstreamError } from './upstream.ts';

const TID = '11111111-2222-4333-8444-555555555555';
type Mint = () => Promise<string>;

describe('UpstreamClient refuses bad ID tokens', () => {
  let server: Server;
  let authority: string;
  let mint: Mint;
  let jwksDown = false;
  let signer: CryptoKey;
  let stranger: CryptoKey;
  let publicJwk: Record<string, unknown>;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signer = pair.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      void (async () => {
        const path = (req.url ?? '').split('?')[0]!;
        if (path.endsWith('/.well-known/openid-configuration')) {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              issuer: authority,
              authorization_endpoint: `${authority}/authorize`,
              token_endpoint: `${authority}/token`,
              jwks_uri: `${authority}/keys`,
              response_types_supported: ['code'],
              id_token_signing_alg_values_supported: ['RS256'],
            }),
          );
        } else if (path.endsWith('/keys')) {
          if (jwksDown) res.writeHead(503).end();
          else res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [publicJwk] }));
        } else if (path.endsWith('/token')) {
          for await (const _ of req) {
            // drain the form body
          }
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 3600, id_token: await mint() }),
          );
        } else res.writeHead(404).end();
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    authority = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${TID}/v2.0`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const claims = (over: Record<string, unknown> = {}) => ({
    iss: authority,
    aud: 'client-1',
    tid: TID,
    oid: 'oid-1',
    sub: 'pairwise',
    nonce: 'nonce-1',
    iat: now(),
    exp: now() + 600,
    ...over,
  });
  const signed = (body: Record<string, unknown>, key: CryptoKey = signer, header: Record<string, unknown> = {}) =>
    new SignJWT(body).setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header }).sign(key);
  const unsigned = (body: Record<string, unknown>) =>
    `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.`;

  async function exchange(client = new UpstreamClient()): Promise<unknown> {
    const provider = { authority, clientId: 'client-1', scope: 'openid', responseType: 'code', usePkce: true };
    const callback = new URL(`http://127.0.0.1/cb?code=c&state=s&iss=${encodeURIComponent(authority)}`);
    return client.exchange(provider, 'secret', callback, {
      state: 's',
      nonce: 'nonce-1',
      codeVerifier: 'v'.repeat(43),
    });
  }

  it('accepts a well-formed token', async () => {
    mint = () => signed(claims());
    await expect(exchange()).resolves.toMatchObject({ claims: { oid: 'oid-1', tid: TID } });
  });

  const refused: [string, Mint][] = [
    ['a wrong nonce (S3)', () => signed(claims({ nonce: 'other' }))],
    ['a missing nonce (S3)', () => signed(claims({ nonce: undefined }))],
    ['the issuer of another directory (S4)', () => signed(claims({ iss: authority.replace(TID, 'other') }))],
    ['another audience (S5)', () => signed(claims({ aud: 'client-2' }))],
    ['several audiences without azp (S5)', () => signed(claims({ aud: ['client-1', 'client-2'] }))],
    ['alg none (S5)', async () => unsigned(claims())],
    [
      'HS256 keyed with the public key (S5)',
      async () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .sign(new TextEncoder().encode(JSON.stringify(publicJwk))),
    ],
    ['an expired token (S5)', () => signed(claims({ exp: now() - 3600, iat: now() - 7200 }))],
    ['an iat far in the future (S5)', () => signed(claims({ iat: now() + 86_400, exp: now() + 90_000 }))],
    ['a key that is not in the JWKS (S6)', () => signed(claims(), stranger)],
  ];
  it.each(refused)('refuses %s', async (_name, make) => {
    mint = make;
    await expect(exchange()).rejects.toBeInstanceOf(UpstreamError);
  });

  it('fails closed when the JWKS endpoint is down (S6)', async () => {
    mint = () => signed(claims(), stranger, { kid: 'k-unknown' });
    jwksDown = true;
    try {
      await expect(exchange()).rejects.toBeInstanceOf(UpstreamError);
    } finally {
      jwksDown = false;
    }
  });

  // Security plan F11: the directory's clock is off by `skew` seconds (Entra ID sets nbf = iat, exp one hour on).
  const skewed = (skew: number, lifetime = 3600) =>
    signed(claims({ iat: now() + skew, nbf: now() + skew, exp: now() + skew + lifetime }));
  const skewCases: [string, number | undefined, Mint, boolean][] = [
    ['20 s ahead, default 30 s tolerance', undefined, () => skewed(20), true],
    ['2 min behind, default tolerance (an hour-long token only looks older)', undefined, () => skewed(-120), true],
    ['2 min ahead, default tolerance (nbf and iat in the future)', undefined, () => skewed(120), false],
    ['expired 20 s ago by our clock, default tolerance', undefined, () => skewed(-80, 60), true],
    ['expired 2 min ago by our clock, default tolerance', undefined, () => skewed(-180, 60), false],
    ['2 min ahead, tolerance 180 s', 180, () => skewed(120), true],
    ['expired 2 min ago, tolerance 180 s', 180, () => skewed(-180, 60), true],
    ['4 min ahead, tolerance 180 s', 180, () => skewed(240), false],
    ['5 s ahead, tolerance 0', 0, () => skewed(5), false],
  ];
  it.each(skewCases)('clock skew (F11): %s', async (_name, tolerance, make, accepted) => {
    mint = make;
    const client = new UpstreamClient(tolerance === undefined ? {} : { clockToleranceSeconds: tolerance });
    if (accepted) await expect(exchange(client)).resolves.toMatchObject({ claims: { oid: 'oid-1' } });
    else await expect(exchange(client)).rejects.toBeInstanceOf(UpstreamError);
  });
});
