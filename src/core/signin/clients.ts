// Apps that sign users in against the tenant's issuer: registered by the tenant admin, secret shown once.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { encryptSecret, type Keyring } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError, invalid } from '../errors.ts';
import type { Store } from '../ports.ts';
import { isLoopbackHost } from '../sso/authority.ts';
import type { OidcClientRecord, SigninStore } from './ports.ts';

export interface ClientDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
}

export type ClientType = 'confidential' | 'public';
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
type SecretAuthMethod = (typeof AUTH_METHODS)[number];

export interface ClientInput {
  readonly client_name: string;
  readonly type: ClientType;
  readonly redirect_uris: readonly string[];
  readonly post_logout_redirect_uris?: readonly string[] | undefined;
  readonly token_endpoint_auth_method?: SecretAuthMethod | undefined;
}

export interface ClientView {
  readonly record: OidcClientRecord;
  /** Only when just created or rotated: the secret is never shown again. */
  readonly secret?: string;
}

/** The context a client secret is sealed to: moved to another row it no longer decrypts. */
export function clientSecretContext(tenantId: string, clientId: string): string {
  return `oidc-client-secret:${tenantId}:${clientId}`;
}

const MAX_URIS = 20;

/**
 * Redirect URIs are compared exactly by the OP. https anywhere; http only on loopback (development); a private-use
 * scheme (`com.example.app:/cb`, RFC 8252 §7.1) only for public (native) apps. Never a fragment.
 */
function checkUris(field: string, uris: readonly string[], type: ClientType, required: boolean): string[] {
  if (required && uris.length === 0) throw invalid(field, 'must list at least one URI');
  if (uris.length > MAX_URIS) throw invalid(field, `must list at most ${MAX_URIS} URIs`);
  return uris.map((raw, i) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalid(`${field}[${i}]`, 'must be an absolute URI');
    }
    if (url.hash || raw.includes('#')) throw invalid(`${field}[${i}]`, 'must not contain a fragment');
    if (url.username || url.password) throw invalid(`${field}[${i}]`, 'must not contain credentials');
    const loopback = isLoopbackHost(url.hostname);
    const web = url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
    const privateUse = type === 'public' && /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/i.test(url.protocol);
    if (!web && !privateUse) {
      throw invalid(
        `${field}[${i}]`,
        'must use https (http only on loopback; a private-use scheme only for public apps)',
      );
    }
    return raw;
  });
}

/** The OIDC client metadata of a registration; shared with vendor-wide apps (operator-clients.ts). */
export function metadataOf(input: ClientInput): Record<string, unknown> {
  const name = input.client_name.trim();
  if (name.length === 0 || name.length > 200) throw invalid('client_name', 'must be 1-200 characters');
  const confidential = input.type === 'confidential';
  if (!confidential && input.token_endpoint_auth_method !== undefined) {
    throw invalid('token_endpoint_auth_method', 'public apps authenticate with PKCE only ("none")');
  }
  return {
    client_name: name,
    redirect_uris: checkUris('redirect_uris', input.redirect_uris, input.type, true),
    post_logout_redirect_uris: checkUris(
      'post_logout_redirect_uris',
      input.post_logout_redirect_uris ?? [],
      input.type,
      false,
    ),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: confidential ? (input.token_endpoint_auth_method ?? 'client_secret_basic') : 'none',
    application_type: input.redirect_uris.some((u) => !/^https?:/i.test(u)) ? 'native' : 'web',
  };
}

export function clientTypeOf(record: Pick<OidcClientRecord, 'metadata'>): ClientType {
  return record.metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential';
}

export const newSecret = () => randomBytes(32).toString('base64url');
const notFound = () => new DomainError('client.not_found', 'no such application');

export async function createClient(
  deps: ClientDeps,
  actor: string,
  tenantId: string,
  input: ClientInput,
): Promise<ClientView> {
  const metadata = metadataOf(input);
  const clientId = newId();
  const secret = input.type === 'confidential' ? newSecret() : undefined;
  const now = deps.clock.now().toISOString();
  const record: OidcClientRecord = {
    tenantId,
    clientId,
    metadata,
    secretSealed: secret ? encryptSecret(deps.keyring, secret, clientSecretContext(tenantId, clientId)) : null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.signin.clients.insert(record);
  await recordAudit(deps.store, deps.clock.now(), {
    tenantId,
    actor,
    action: 'client.created',
    target: clientId,
    data: { client_name: metadata.client_name, type: input.type },
  });
  return secret ? { record, secret } : { record };
}

export async function getClient(deps: ClientDeps, tenantId: string, clientId: string): Promise<OidcClientRecord> {
  const record = await deps.signin.clients.get(tenantId, clientId);
  if (!record) throw notFound();
  return record;
}

export function listClients(deps: ClientDeps, tenantId: string): Promise<readonly OidcClientRecord[]> {
  return deps.signin.clients.list(tenantId);
}

/** Replaces the registration; the type (confidential or public) is fixed at creation, and the secret is kept. */
export async function updateClient(
  deps: ClientDeps,
  actor: string,
  tenantId: string,
  clientId: string,
  input: ClientInput,
): Promise<OidcClientRecord> {
  const current = await getClient(deps, tenantId, clientId);
  if (input.type !== clientTypeOf(current)) throw invalid('type', 'cannot change; register a new application');
  const record = { ...current, metadata: metadataOf(input), updatedAt: deps.clock.now().toISOString() };
  if (!(await deps.signin.clients.update(record))) throw notFound();
  await recordAudit(deps.store, deps.clock.now(), { tenantId, actor, action: 'client.updated', target: clientId });
  return record;
}

export async function rotateClientSecret(
  deps: ClientDeps,
  actor: string,
  tenantId: string,
  clientId: string,
): Promise<ClientView> {
  const current = await getClient(deps, tenantId, clientId);
  if (clientTypeOf(current) === 'public') throw invalid('type', 'public applications have no secret');
  const secret = newSecret();
  const record = {
    ...current,
    secretSealed: encryptSecret(deps.keyring, secret, clientSecretContext(tenantId, clientId)),
    updatedAt: deps.clock.now().toISOString(),
  };
  if (!(await deps.signin.clients.update(record))) throw notFound();
  await recordAudit(deps.store, deps.clock.now(), {
    tenantId,
    actor,
    action: 'client.secret_rotated',
    target: clientId,
  });
  return { record, secret };
}

/** Deleting an app ends its sign-ins at once: the OP looks the client up on every request. */
export async function deleteClient(deps: ClientDeps, actor: string, tenantId: string, clientId: string): Promise<void> {
  if (!(await deps.signin.clients.delete(tenantId, clientId))) throw notFound();
  await recordAudit(deps.store, deps.clock.now(), { tenantId, actor, action: 'client.deleted', target: clientId });
}
