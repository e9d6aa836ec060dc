// A real OpenID Provider (oidc-provider) on loopback, shaped like a generic IdP: a path-less issuer
// `http://127.0.0.1:<port>` (as Okta's org authorization server and Google are), that IdP's endpoint paths, and ID
// tokens carrying whatever claims the test sets for the person signing in. It can rotate its signing key (the old
// one is no longer published), and re-sign its ID tokens with altered claims to play a misbehaving IdP.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { finishStandInInteraction } from './stand-in-interaction.ts';

/** The claims of the person signing in; `sub` is the account id. */
export type IdpPerson = Readonly<Record<string, unknown>> & { readonly sub: string };

export interface IdpShape {
  readonly routes: { authorization: string; token: string; jwks: string; userinfo: string };
  /** Which claims each scope releases (besides `sub`). */
  readonly claims: Readonly<Record<string, readonly string[]>>;
}

/** Okta's org authorization server: `https://{org}.okta.com`, endpoints under /oauth2/v1. */
export const OKTA_ORG: IdpShape = {
  routes: {
    authorization: '/oauth2/v1/authorize',
    token: '/oauth2/v1/token',
    jwks: '/oauth2/v1/keys',
    userinfo: '/oauth2/v1/userinfo',
  },
  claims: {
    // employee_number: a custom claim an Okta admin adds to the ID token (for properties.subjectClaim).
    profile: ['name', 'preferred_username', 'given_name', 'family_name', 'employee_number'],
    email: ['email', 'email_verified'],
  },
};

/** Google: `https://accounts.google.com`, `hd` for Workspace accounts, no preferred_username. */
export const GOOGLE: IdpShape = {
  routes: {
    authorization: '/o/oauth2/v2/auth',
    token: '/token',
    jwks: '/oauth2/v3/certs',
    userinfo: '/v1/userinfo',
  },
  claims: { openid: ['hd'], profile: ['name', 'given_name', 'family_name'], email: ['email', 'email_verified'] },
};

export interface FakeIdpOptions {
  /** Prefixes its cookie names: cookies are not kept apart by port, and Roster and every fake share 127.0.0.1. */
  readonly name: string;
  readonly shape: IdpShape;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** The issuer discovery announces, when it should differ from the server's own URL (a misconfigured IdP). */
  readonly announcedIssuer?: (own: string) => string;
}

export interface FakeIdp {
  /** `http://127.0.0.1:<port>`, the value for Roster's `properties.issuer`. */
  readonly issuer: string;
  signInAs(person: IdpPerson): void;
  /** A new signing key with a new `kid`; the old key leaves the JWKS. */
  rotateKeys(): Promise<void>;
  /** Rewrites the ID token's claims and re-signs it with the IdP's own key (a validly signed, wrong token). */
  alterIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;
  readonly kid: string;
  /** How many times the JWKS was fetched. */
  readonly jwksFetches: number;
  close(): Promise<void>;
}

interface SigningKey {
  readonly kid: string;
  readonly jwk: JWK;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
}

let keyCounter = 0;
async function newKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `key-${++keyCounter}-${Date.now().toString(36)}`;
  return { kid, privateKey, jwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' } };
}

export async function startFakeIdp(options: FakeIdpOptions): Promise<FakeIdp> {
  let person: IdpPerson | undefined;
  let provider: Provider | undefined;
  let key = await newKey();
  let jwksFetches = 0;

  const server: Server = createServer((req, res) => {
    void (async () => {
      if (!provider) return void res.writeHead(503).end();
      const path = (req.url ?? '/').split('?')[0]!;
      const login = /^\/login\/([A-Za-z0-9_-]+)$/.exec(path);
      if (login) return finishInteraction(provider, req, res);
      if (path === options.shape.routes.jwks) jwksFetches++;
      provider.callback()(req, res);
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });

  function finishInteraction(op: Provider, req: IncomingMessage, res: ServerResponse) {
    return finishStandInInteraction(op, req, res, () => {
      if (!person) throw new Error('fake IdP: nobody to sign in as');
      return person.sub;
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const own = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const announced = options.announcedIssuer?.(own) ?? own;

  function build(): Provider {
    const configuration: Configuration = {
      jwks: { keys: [key.jwk] as never },
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
      routes: options.shape.routes,
      cookies: {
        keys: ['fake-idp-cookie-key'],
        names: {
          session: `${options.name}_session`,
          interaction: `${options.name}_interaction`,
          resume: `${options.name}_resume`,
        },
      },
      features: { devInteractions: { enabled: false } },
      ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
      interactions: { url: (_ctx, interaction) => `/login/${interaction.uid}` },
      pkce: { required: () => false },
      claims: { openid: ['sub'], ...options.shape.claims },
      conformIdTokenClaims: false,
      async findAccount(_ctx, sub) {
        if (!person || person.sub !== sub) return undefined;
        const claims = { ...person };
        return { accountId: sub, claims: async () => claims };
      },
    };
    const op = new Provider(announced, configuration);
    // The misbehaving IdP: the token endpoint's ID token, altered and re-signed with the published key.
    op.use(async (ctx, next) => {
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (!fake.alterIdToken || ctx.path !== options.shape.routes.token || typeof body?.id_token !== 'string') return;
      const claims = fake.alterIdToken({ ...decodeJwt(body.id_token) });
      body.id_token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
        .sign(key.privateKey);
    });
    return op;
  }

  const fake: FakeIdp = {
    issuer: own,
    signInAs: (p) => {
      person = p;
    },
    async rotateKeys() {
      key = await newKey();
      provider = build();
    },
    alterIdToken: undefined,
    get kid() {
      return key.kid;
    },
    get jwksFetches() {
      return jwksFetches;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  provider = build();
  return fake;
}
