// One oidc-provider instance per tenant: issuer {publicUrl}/{tenantId}, its keys, its apps, its subjects.
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { effectiveRolesOf } from '../core/roles/roles.ts';
import { accountClaims, CLAIMS_BY_SCOPE, isSignInAllowed } from '../core/signin/account.ts';
import { TENANT_PARAM } from '../core/signin/outcomes.ts';
import type { SigninStore } from '../core/signin/ports.ts';
import type { SigningKey } from '../core/signin/signing-keys.ts';
import { PAGE_CSP } from '../lib/html.ts';
import type { Keyring } from '../lib/keyring.ts';
import { adapterFor } from './adapter.ts';
import { takeSubject } from './request-reads.ts';

/**
 * The pages oidc-provider renders itself, as whole HTML documents. Their words live with the other sign-in pages
 * (src/http/signin/pages.ts); app.ts hands them in, as it hands the engine to the routes.
 */
export interface ProviderPages {
  /** RP-initiated logout: asks to confirm; `form` is oidc-provider's hidden form, submitted by the button. */
  logout(form: string): string;
  signedOut(): string;
  /** A protocol error shown to the person (the app could not be told): escaped by the page. */
  protocolError(description: string, error: string): string;
}

export interface TenantProviderOptions {
  readonly publicUrl: string;
  readonly tenantId: string;
  readonly store: SigninStore;
  readonly keyring: Keyring;
  readonly keys: readonly SigningKey[];
  readonly cookieKeys: readonly string[];
  /** Secure cookies need https; the public URL says which. */
  readonly secureCookies: boolean;
  readonly pages: ProviderPages;
}

/** Protocol routes live under /{tenantId}/oidc/…, next to the tenant's SCIM base and sign-in pages. */
export const OIDC_ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  jwks: '/oidc/jwks',
  userinfo: '/oidc/userinfo',
  end_session: '/oidc/logout',
  revocation: '/oidc/revoke',
  introspection: '/oidc/introspect',
  pushed_authorization_request: '/oidc/par',
} as const;

/** The authorization-request parameter that names an SSO provider by scheme (see docs/signin.md). */
export const IDP_HINT = 'idp_hint';

function html(ctx: KoaContextWithOIDC, status: number, document: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('content-security-policy', PAGE_CSP);
  ctx.set('cache-control', 'no-store');
  ctx.body = document;
}

export function createTenantProvider(options: TenantProviderOptions): Provider {
  const { tenantId, store } = options;
  const cookieBase = { httpOnly: true, sameSite: 'lax' as const, path: `/${tenantId}`, secure: options.secureCookies };
  const configuration: Configuration = {
    adapter: adapterFor(store, options.keyring, tenantId),
    clients: [],
    jwks: { keys: options.keys.map((k) => k.jwk) as never },
    cookies: {
      keys: [...options.cookieKeys],
      // Distinct names and a per-tenant path: tenants (and any upstream OP on the same host) never share a cookie.
      names: { session: 'roster_session', interaction: 'roster_interaction', resume: 'roster_resume' },
      long: cookieBase,
      short: cookieBase,
    },
    async findAccount(ctx, sub) {
      // The subject read with this request's code or refresh token, if it is this one (ADR 0058); else read now.
      const prefetched = takeSubject(ctx, sub);
      const user = prefetched.found ? prefetched.user : await store.scim.users.get(tenantId, sub);
      if (!isSignInAllowed(user)) return undefined;
      return {
        accountId: sub,
        async claims(_use, scope) {
          const scopes = scope.split(' ');
          const groups = scopes.includes('groups')
            ? ((await store.scim.users.groupsOf(tenantId, [sub])).get(sub) ?? [])
            : undefined;
          // Read at each issue (ID token, userinfo): a membership removed over SCIM is gone at the next sign-in.
          const roles = scopes.includes('roles') ? await effectiveRolesOf(store.scim, tenantId, sub) : undefined;
          return accountClaims(user, groups, roles) as { sub: string };
        },
      };
    },
    claims: Object.fromEntries(Object.entries(CLAIMS_BY_SCOPE).map(([k, v]) => [k, [...v]])),
    scopes: ['openid', 'profile', 'email', 'groups', 'roles', 'offline_access', 'delegation'],
    // Apps get the profile in the ID token too (as Entra ID does), not only from userinfo.
    conformIdTokenClaims: false,
    extraParams: {
      [IDP_HINT]: null,
      async [TENANT_PARAM](_ctx, value) {
        if (value !== undefined && value !== tenantId) {
          throw new errors.InvalidRequest('the tenant parameter names another tenant than this issuer');
        }
      },
    },
    routes: OIDC_ROUTES,
    responseTypes: ['code'],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 900,
      Session: 14 * 86_400,
      Grant: 14 * 86_400,
      RefreshToken: 14 * 86_400,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          html(ctx, 200, options.pages.logout(form));
        },
        async postLogoutSuccessSource(ctx) {
          html(ctx, 200, options.pages.signedOut());
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/${tenantId}/signin/${interaction.uid}` },
    /**
     * Apps are the vendor's own, registered by the tenant admin: consent is implied. The grant covers the scopes
     * the app asks for (only those the OP supports survive parsing).
     */
    async loadExistingGrant(ctx) {
      const { client, session, params } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      const found = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      const grant = found ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(String(params?.scope ?? 'openid'));
      await grant.save();
      return grant;
    },
    async renderError(ctx, out) {
      const description = typeof out.error_description === 'string' ? out.error_description : out.error;
      html(
        ctx,
        ctx.status >= 400 ? ctx.status : 400,
        options.pages.protocolError(String(description), String(out.error)),
      );
    },
  };
  const provider = new Provider(`${options.publicUrl}/${tenantId}`, configuration);
  provider.proxy = true;
  return provider;
}
