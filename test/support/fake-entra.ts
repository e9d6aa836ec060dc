// A real OpenID Provider (oidc-provider) playing Microsoft Entra ID on loopback: a tenant-specific v2.0 issuer
// `http://127.0.0.1:<port>/<tid>/v2.0` issuing Entra-shaped ID tokens (tid, oid, preferred_username, name, email).
// The signed-in person is whoever the test set; `tamper` lets a test play an attacker on the front channel.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { finishStandInInteraction } from './stand-in-interaction.ts';

export interface EntraPerson {
  readonly oid: string;
  readonly upn: string;
  readonly name?: string;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly email?: string;
  /** The directory named in the token; defaults to the fake's own (a guest or attacker token would differ). */
  readonly tid?: string;
}

export interface FakeEntraOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** The directory in the URL path; the issuer announced in discovery uses `announcedTid` when given. */
  readonly tid?: string;
  readonly announcedTid?: string;
  /**
   * Many people at once (the benchmark's login storm): the login step's `?as=<oid>` names who signs in, instead of
   * the one person `signInAs` set.
   */
  readonly personFor?: (oid: string) => EntraPerson | undefined;
}

export interface FakeEntra {
  readonly tid: string;
  /** The authority to configure in Roster: `http://127.0.0.1:<port>/<tid>/v2.0`. */
  readonly authority: string;
  signInAs(person: EntraPerson): void;
  /** Rewrites the authorization request's parameters before the OP sees them (nonce, code_challenge, …). */
  tamper: ((params: URLSearchParams) => void) | undefined;
  /** The last authorization request's parameters as received (before tampering). */
  lastAuthorization: URLSearchParams | undefined;
  close(): Promise<void>;
}

export async function startFakeEntra(options: FakeEntraOptions): Promise<FakeEntra> {
  const tid = options.tid ?? randomUUID();
  const prefix = `/${tid}/v2.0`;
  let person: EntraPerson | undefined;
  /** Everyone signed in through `personFor`, by oid, for findAccount. */
  const people = new Map<string, EntraPerson>();
  let provider: Provider | undefined;
  const fake: FakeEntra = {
    tid,
    authority: '',
    signInAs: (p) => {
      person = p;
    },
    tamper: undefined,
    lastAuthorization: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      if (!provider || !url.startsWith(prefix)) {
        res.writeHead(404).end();
        return;
      }
      const inner = url.slice(prefix.length) || '/';
      const login = /^\/login\/([A-Za-z0-9_-]+)$/.exec(inner.split('?')[0]!);
      if (login) {
        const as = new URLSearchParams(inner.split('?')[1] ?? '').get('as');
        await finishInteraction(provider, req, res, as ? options.personFor?.(as) : person);
        return;
      }
      if (inner.split('?')[0] === '/oauth2/v2.0/authorize') {
        const query = new URLSearchParams(inner.split('?')[1] ?? '');
        fake.lastAuthorization = new URLSearchParams(query);
        if (fake.tamper) {
          fake.tamper(query);
          req.url = `${prefix}/oauth2/v2.0/authorize?${query}`;
        }
      }
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url ?? '/';
      req.url = req.url!.slice(prefix.length) || '/';
      provider.callback()(req, res);
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });

  function finishInteraction(
    op: Provider,
    req: IncomingMessage,
    res: import('node:http').ServerResponse,
    who: EntraPerson | undefined,
  ) {
    return finishStandInInteraction(op, req, res, () => {
      if (!who) throw new Error('fake Entra: nobody to sign in as');
      if (who !== person) people.set(who.oid, who);
      return who.oid;
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const announced = `http://127.0.0.1:${port}/${options.announcedTid ?? tid}/v2.0`;
  (fake as { authority: string }).authority = `http://127.0.0.1:${port}${prefix}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const configuration: Configuration = {
    jwks: {
      keys: [{ ...(await exportJWK(privateKey)), kid: `entra-${tid.slice(0, 8)}`, alg: 'RS256', use: 'sig' }] as never,
    },
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    // Entra's own paths under the tenant-specific authority.
    routes: { authorization: '/oauth2/v2.0/authorize', token: '/oauth2/v2.0/token', jwks: '/discovery/v2.0/keys' },
    cookies: {
      keys: ['fake-entra-cookie-key'],
      names: { session: 'entra_session', interaction: 'entra_interaction', resume: 'entra_resume' },
    },
    features: { devInteractions: { enabled: false } },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
    interactions: { url: (_ctx, interaction) => `${prefix}/login/${interaction.uid}` },
    pkce: { required: () => false },
    claims: {
      openid: ['sub', 'tid', 'oid'],
      profile: ['name', 'preferred_username', 'given_name', 'family_name'],
      email: ['email'],
    },
    conformIdTokenClaims: false,
    async findAccount(_ctx, sub) {
      const p = person?.oid === sub ? person : people.get(sub);
      if (!p) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            // Entra's sub is pairwise per app; Roster must key on oid, never on sub.
            sub: `pairwise-${p.oid.slice(0, 8)}`,
            oid: p.oid,
            tid: p.tid ?? tid,
            preferred_username: p.upn,
            ...(p.name ? { name: p.name } : {}),
            ...(p.givenName ? { given_name: p.givenName } : {}),
            ...(p.familyName ? { family_name: p.familyName } : {}),
            ...(p.email ? { email: p.email } : {}),
          };
        },
      };
    },
  };
  provider = new Provider(announced, configuration);
  return fake;
}
