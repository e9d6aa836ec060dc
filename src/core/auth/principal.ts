// Who is calling: resolved from the bearer token alone. The tenant of a request is the tenant of its token.
import type { Digest } from '../../lib/keyring.ts';
import { digestSecret, verifySecret } from '../../lib/keyring.ts';
import { parseToken } from '../../lib/tokens.ts';
import { DEFAULT_DOMAIN_POLICY, type DomainPolicy } from '../domains/records.ts';
import { DomainError } from '../errors.ts';
import type { CoreDeps, TokenKind } from '../ports.ts';
import type { AdminScope } from '../records.ts';
import type { PlannedLookup, PrefetchedLookup } from '../scim/prefetch.ts';
import type { StoredGroup, StoredUser } from '../scim/records.ts';
import { hasExpired } from '../tokens/expiry.ts';

export type Principal =
  | { readonly kind: 'operator'; readonly tokenId: string }
  | {
      readonly kind: 'admin';
      readonly tokenId: string;
      readonly tenantId: string;
      readonly scopes: readonly AdminScope[];
    }
  | {
      readonly kind: 'scim';
      readonly tokenId: string;
      readonly tenantId: string;
      readonly provider: string;
      readonly defaultRole: string | null;
      /** The tenant's domain policy, read in the token's statement (ADR 0045). */
      readonly domainPolicy: DomainPolicy;
      /** The user the request asked to read along (`prefetchUser`), when the store read it in the token's statement. */
      readonly prefetchedUser?: PrefetchedUser | undefined;
      /** The group the request asked to read along (`prefetchGroup`), when the store read it in the token's statement. */
      readonly prefetchedGroup?: PrefetchedGroup | undefined;
      /** The lookup the request asked to read along (`prefetchLookup`), when the store answered it (ADR 0055). */
      readonly prefetchedLookup?: PrefetchedLookup | undefined;
    };

/** A user of the token's tenant read in the token's own statement (ADR 0051): `user` null when there is none. */
export interface PrefetchedUser {
  readonly id: string;
  readonly user: StoredUser | null;
}

/** A group of the token's tenant read in the token's own statement: `group` null when there is none. */
export interface PrefetchedGroup {
  readonly id: string;
  readonly group: StoredGroup | null;
}

export interface AuthenticateOptions {
  /**
   * A SCIM request that will read this user of the token's tenant (`GET /Users/{id}`): where the store can, it reads
   * the user in the token's statement. Used only once the token is verified, and only by that read.
   */
  readonly prefetchUser?: string | undefined;
  /** As prefetchUser, for the group of a `GET /Groups/{id}`. */
  readonly prefetchGroup?: string | undefined;
  /**
   * A SCIM list request that will search for this lookup's first page among the token's tenant's resources: where
   * the store can, it reads the page in the token's statement (ADR 0055). Used only once the token is verified, and
   * only by that search. Asked for only once the bearer is a well-formed SCIM token, so text that is no token costs
   * no parse of the request's filter.
   */
  readonly prefetchLookup?: (() => PlannedLookup | undefined) | undefined;
}

export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.tokenId}`;
}

/** How often lastUsedAt may be written per token: a read-mostly hot path must not write on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface AuthDeps extends CoreDeps {
  /** Digest of ROSTER_BOOTSTRAP_TOKEN, when the operator supplied one. */
  readonly bootstrapDigest?: Digest | undefined;
  /** ROSTER_SECRET_KEY_RETIRING: token digests under these keys move to the active key when presented. */
  readonly retiringKeys?: ReadonlySet<string> | undefined;
}

/**
 * lastUsedAt is bookkeeping: it is written off the request path and a failure to write it (a busy or full
 * database) must not turn a read into an error.
 */
function touch(write: () => Promise<void>): void {
  write().catch(() => {});
}

/**
 * A token whose digest was made under a key the operator is retiring is re-digested under the active key when it
 * is presented (the secret is known only then), so old keys leave token digests by use, without reissuing tokens.
 * Only named retiring keys move: while instances with different active keys overlap, neither undoes the other.
 * Off the request path, like lastUsedAt.
 */
function upgrade(deps: AuthDeps, kind: TokenKind, row: { id: string; secret: Digest }, secret: string): void {
  if (!deps.retiringKeys?.has(row.secret.keyId)) return;
  touch(() => deps.store.keys.rehashToken(kind, row.id, row.secret, digestSecret(deps.keyring, secret)));
}

function stale(lastUsedAt: string | null, now: Date): boolean {
  return lastUsedAt === null || now.getTime() - Date.parse(lastUsedAt) >= LAST_USED_RESOLUTION_MS;
}

/**
 * Verifies a bearer token of any kind. Malformed text is refused before any store access; a known id is checked
 * by HMAC digest in constant time; revocation is a deleted row, so it takes effect on the very next request.
 */
export async function authenticate(
  deps: AuthDeps,
  bearer: string | undefined,
  options: AuthenticateOptions = {},
): Promise<Principal> {
  if (bearer === undefined) throw new DomainError('auth.missing', 'a bearer token is required');
  const token = parseToken(bearer);
  // The operator-chosen bootstrap token has free form, so it is checked (by digest) before the typed formats.
  if (
    (!token || token.kind === 'op') &&
    deps.bootstrapDigest &&
    verifySecret(deps.keyring, bearer, deps.bootstrapDigest)
  ) {
    return { kind: 'operator', tokenId: 'bootstrap' };
  }
  if (!token) throw new DomainError('auth.invalid', 'the bearer token is not valid');
  const now = deps.clock.now();
  switch (token.kind) {
    case 'op': {
      const row = await deps.store.operatorTokens.get(token.id);
      if (row && verifySecret(deps.keyring, token.secret, row.secret)) {
        upgrade(deps, 'operator', row, token.secret);
        return { kind: 'operator', tokenId: row.id };
      }
      break;
    }
    case 'adm': {
      const row = await deps.store.adminTokens.get(token.id);
      if (row && verifySecret(deps.keyring, token.secret, row.secret)) {
        if (hasExpired(row.expiresAt, now)) break;
        if (stale(row.lastUsedAt, now)) touch(() => deps.store.adminTokens.touch(row.id, now.toISOString()));
        upgrade(deps, 'admin', row, token.secret);
        return { kind: 'admin', tokenId: row.id, tenantId: row.tenantId, scopes: row.scopes };
      }
      break;
    }
    case 'scim': {
      // The tenant's domain policy rides along: a user write then needs no statement of its own for it.
      const tokens = deps.store.scimTokens;
      const prefetch = options.prefetchUser;
      const merged = prefetch !== undefined && tokens.getWithDomainPolicyAndUser !== undefined;
      const withUser = merged ? await tokens.getWithDomainPolicyAndUser?.(token.id, prefetch) : undefined;
      // Likewise a group (`GET /Groups/{id}`), then an IdP's lookup (ADR 0055), read by the token's id and keyed in
      // the store by the token's tenant.
      const groupId = merged ? undefined : options.prefetchGroup;
      const grouped = groupId !== undefined && tokens.getWithDomainPolicyAndGroup !== undefined;
      const withGroup = grouped ? await tokens.getWithDomainPolicyAndGroup?.(token.id, groupId) : undefined;
      // Planning parses the request's filter: only for a store that can answer the lookup with the token.
      const canLook = !merged && !grouped && tokens.getWithDomainPolicyAndLookup !== undefined;
      const lookup = canLook ? options.prefetchLookup?.() : undefined;
      const looked = lookup !== undefined;
      const withLookup = looked ? await tokens.getWithDomainPolicyAndLookup?.(token.id, lookup) : undefined;
      const row = merged
        ? withUser
        : grouped
          ? withGroup
          : looked
            ? withLookup
            : await tokens.getWithDomainPolicy(token.id);
      if (row && verifySecret(deps.keyring, token.secret, row.secret)) {
        if (hasExpired(row.expiresAt, now)) break;
        if (stale(row.lastUsedAt, now)) touch(() => deps.store.scimTokens.touch(row.id, now.toISOString()));
        upgrade(deps, 'scim', row, token.secret);
        return {
          kind: 'scim',
          tokenId: row.id,
          tenantId: row.tenantId,
          provider: row.provider,
          defaultRole: row.defaultRole,
          domainPolicy: row.domainPolicy ?? DEFAULT_DOMAIN_POLICY,
          ...(withUser && prefetch !== undefined ? { prefetchedUser: { id: prefetch, user: withUser.user } } : {}),
          ...(withGroup && groupId !== undefined ? { prefetchedGroup: { id: groupId, group: withGroup.group } } : {}),
          ...(withLookup?.lookup && lookup !== undefined
            ? { prefetchedLookup: { planned: lookup, result: withLookup.lookup } }
            : {}),
        };
      }
      break;
    }
  }
  throw new DomainError('auth.invalid', 'the bearer token is not valid');
}

/** ROSTER_BOOTSTRAP_TOKEN is hashed once at start; it is never kept in clear beyond configuration. */
export function bootstrapDigestOf(deps: Pick<CoreDeps, 'keyring'>, bootstrapToken: string): Digest {
  return digestSecret(deps.keyring, bootstrapToken);
}

export function requireKind<K extends Principal['kind']>(
  principal: Principal,
  kind: K,
): Extract<Principal, { kind: K }> {
  if (principal.kind !== kind) {
    throw new DomainError(
      'auth.wrong_kind',
      `this endpoint needs ${article(kind)} token, not ${article(principal.kind)} token`,
    );
  }
  return principal as Extract<Principal, { kind: K }>;
}

function article(kind: Principal['kind']): string {
  return kind === 'admin' || kind === 'operator' ? `an ${kind}` : `a ${kind.toUpperCase()}`;
}

/**
 * What an admin token's scopes allow (ADR 0032): `admin` everything; `read` safe methods only; `scim-tokens` the
 * SCIM token routes only. `scimTokenRoute` is decided by the HTTP surface, which knows its routes.
 */
export function scopesAllow(scopes: readonly AdminScope[], method: string, scimTokenRoute: boolean): boolean {
  if (scopes.includes('admin')) return true;
  if (scopes.includes('read') && (method === 'GET' || method === 'HEAD')) return true;
  return scopes.includes('scim-tokens') && scimTokenRoute;
}
