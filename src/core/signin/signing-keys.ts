// Per-tenant ID token signing keys: created on first use, sealed at rest, rotated with an overlap window.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { decryptSecret, encryptSecret, type Keyring } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Store } from '../ports.ts';
import type { SigningKeyRecord, SigninStore } from './ports.ts';

export interface SigningKeyDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
}

/** How long a replaced key stays published: longer than any ID token or access token Roster issues (1 h). */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

export interface SigningKey {
  readonly kid: string;
  /** Private JWK (RS256). */
  readonly jwk: Record<string, unknown>;
  readonly createdAt: string;
  readonly retiredAt: string | null;
}

/** The context a signing key's private JWK is sealed to (tenant and kid). */
export const sealContext = (tenantId: string, kid: string) => `oidc-signing-key:${tenantId}:${kid}`;

function newKey(deps: SigningKeyDeps, tenantId: string): SigningKeyRecord {
  const kid = randomBytes(12).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return {
    tenantId,
    kid,
    privateJwkSealed: encryptSecret(deps.keyring, JSON.stringify(jwk), sealContext(tenantId, kid)),
    createdAt: deps.clock.now().toISOString(),
    retiredAt: null,
  };
}

/** The published keys, signing key first (the newest unretired one). A tenant's first call creates its key. */
export async function signingKeys(deps: SigningKeyDeps, tenantId: string): Promise<readonly SigningKey[]> {
  let records = await deps.signin.signingKeys.list(tenantId);
  if (!records.some((r) => r.retiredAt === null)) {
    await deps.signin.signingKeys.insert(newKey(deps, tenantId));
    records = await deps.signin.signingKeys.list(tenantId);
  }
  const cutoff = new Date(deps.clock.now().getTime() - ROTATION_OVERLAP_MS).toISOString();
  const published = records.filter((r) => r.retiredAt === null || r.retiredAt > cutoff);
  published.sort((a, b) => Number(a.retiredAt !== null) - Number(b.retiredAt !== null));
  return published.map((r) => ({
    kid: r.kid,
    jwk: JSON.parse(decryptSecret(deps.keyring, r.privateJwkSealed, sealContext(tenantId, r.kid))),
    createdAt: r.createdAt,
    retiredAt: r.retiredAt,
  }));
}

/** A fingerprint of the key set, so a cached OpenID Provider notices a rotation done by another process. */
export async function signingKeyVersion(deps: Pick<SigningKeyDeps, 'signin'>, tenantId: string): Promise<string> {
  // Read on every protocol request: the kids and retirements only, never the sealed keys (ADR 0058).
  const records = await deps.signin.signingKeys.listVersions(tenantId);
  return records.map((r) => `${r.kid}:${r.retiredAt ?? ''}`).join(',');
}

/** A new key signs from now on; the old ones stay published for the overlap, then are deleted. */
export async function rotateSigningKey(deps: SigningKeyDeps, actor: string, tenantId: string): Promise<SigningKey> {
  const record = newKey(deps, tenantId);
  const now = deps.clock.now();
  await deps.signin.transaction(async (tx) => {
    await tx.signingKeys.insert(record);
    await tx.signingKeys.retireAllExcept(tenantId, record.kid, now.toISOString());
    await tx.signingKeys.deleteRetiredBefore(tenantId, new Date(now.getTime() - ROTATION_OVERLAP_MS).toISOString());
  });
  await recordAudit(deps.store, now, { tenantId, actor, action: 'signing_key.rotated', target: record.kid });
  const keys = await signingKeys(deps, tenantId);
  return keys.find((k) => k.kid === record.kid)!;
}
