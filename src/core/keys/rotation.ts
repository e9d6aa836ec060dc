// Rotating ROSTER_SECRET_KEY: which stored values still depend on which server key, and re-sealing secrets at
// rest under the active key so an old key can be removed. Token digests move to the active key when tokens are
// used (principal.ts); tokens never presented since the rotation are listed for the operator to reissue.
import { DecryptionError, decryptSecret, encryptSecret, type Keyring, sealedKeyId } from '../../lib/keyring.ts';
import { totpSecretContext } from '../credentials/totp.ts';
import type { KeyStore, SealedKind, SealedValue, TokenKeyRef } from '../ports.ts';
import { clientSecretContext } from '../signin/clients.ts';
import { operatorClientSecretContext } from '../signin/operator-clients.ts';
import { sealContext as signingKeyContext } from '../signin/signing-keys.ts';
import { secretContext as ssoSecretContext } from '../sso/providers.ts';
import { webhookSecretContext } from '../webhooks/signing.ts';

export interface KeyRotationDeps {
  readonly keys: KeyStore;
  readonly keyring: Keyring;
}

const CONTEXTS: Record<SealedKind, (v: SealedValue) => string> = {
  sso_client_secret: (v) => ssoSecretContext({ tenantId: v.tenantId, id: v.rowId }),
  app_client_secret: (v) => clientSecretContext(v.tenantId, v.rowId),
  signing_key: (v) => signingKeyContext(v.tenantId, v.rowId),
  webhook_secret: (v) => webhookSecretContext(v.rowId),
  operator_app_client_secret: (v) => operatorClientSecretContext(v.rowId),
  totp_secret: (v) => totpSecretContext(v.tenantId, v.rowId),
};

export interface KeyUse {
  readonly sealedSecrets: number;
  readonly tokens: number;
  /** Short-lived sign-in state; it expires by itself (latest expiry in epoch seconds). */
  readonly shortLived: number;
  readonly shortLivedUntil: number | null;
}

export interface KeyReport {
  readonly activeKey: string;
  readonly configuredKeys: readonly string[];
  /** Every key id something in the store depends on, configured or not. */
  readonly use: Readonly<Record<string, KeyUse>>;
  /** Tokens still digested under a key other than the active one: presenting them once moves them; or reissue. */
  readonly tokensOnOldKeys: readonly TokenKeyRef[];
  /** Sealed values that do not decrypt under any configured key (moved between rows, or a key already gone). */
  readonly unreadable: readonly Omit<SealedValue, 'sealed'>[];
  /** Configured keys nothing depends on any more: they can be removed from ROSTER_SECRET_KEY. */
  readonly retirable: readonly string[];
}

function unreadable(ring: Keyring, value: SealedValue): boolean {
  try {
    decryptSecret(ring, value.sealed, CONTEXTS[value.kind](value));
    return false;
  } catch (error) {
    if (error instanceof DecryptionError) return true;
    throw error;
  }
}

export async function keyReport(deps: KeyRotationDeps): Promise<KeyReport> {
  const [sealed, tokens, payloads] = await Promise.all([
    deps.keys.sealedValues(),
    deps.keys.tokenKeys(),
    deps.keys.sealedPayloads(),
  ]);
  const use = new Map<
    string,
    { sealedSecrets: number; tokens: number; shortLived: number; shortLivedUntil: number | null }
  >();
  const of = (keyId: string) => {
    let entry = use.get(keyId);
    if (!entry) {
      entry = { sealedSecrets: 0, tokens: 0, shortLived: 0, shortLivedUntil: null };
      use.set(keyId, entry);
    }
    return entry;
  };
  for (const v of sealed) of(sealedKeyId(v.sealed) ?? '?').sealedSecrets++;
  for (const t of tokens) of(t.keyId).tokens++;
  for (const p of payloads) {
    const entry = of(p.keyId);
    entry.shortLived++;
    if (p.expiresAt !== null) entry.shortLivedUntil = Math.max(entry.shortLivedUntil ?? 0, p.expiresAt);
  }
  const active = deps.keyring.active.id;
  const configured = [...deps.keyring.keys.keys()];
  return {
    activeKey: active,
    configuredKeys: configured,
    use: Object.fromEntries(use),
    tokensOnOldKeys: tokens.filter((t) => t.keyId !== active),
    unreadable: sealed
      .filter((v) => unreadable(deps.keyring, v))
      .map(({ kind, tenantId, rowId }) => ({ kind, tenantId, rowId })),
    retirable: configured.filter((k) => k !== active && !use.has(k)),
  };
}

export interface ResealResult {
  readonly resealed: number;
  /** Changed by someone else meanwhile (they sealed under the active key themselves). */
  readonly skipped: number;
  readonly unreadable: readonly Omit<SealedValue, 'sealed'>[];
}

/**
 * Re-seals every secret at rest that is not under the active key. Safe while Roster runs: each row is replaced
 * only if it still holds the text that was read (compare-and-set), and every instance can read both keys.
 */
export async function resealSecrets(deps: KeyRotationDeps): Promise<ResealResult> {
  const active = deps.keyring.active.id;
  let resealed = 0;
  let skipped = 0;
  const failed: Omit<SealedValue, 'sealed'>[] = [];
  for (const value of await deps.keys.sealedValues()) {
    if (sealedKeyId(value.sealed) === active) continue;
    const context = CONTEXTS[value.kind](value);
    let plaintext: string;
    try {
      plaintext = decryptSecret(deps.keyring, value.sealed, context);
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      failed.push({ kind: value.kind, tenantId: value.tenantId, rowId: value.rowId });
      continue;
    }
    if (await deps.keys.replaceSealed(value, encryptSecret(deps.keyring, plaintext, context))) resealed++;
    else skipped++;
  }
  return { resealed, skipped, unreadable: failed };
}

/**
 * Fail closed at start when the configured keys are not the database's: none of the key ids it references is
 * configured, or secrets at rest exist and not one decrypts (same id, other key material). Anything partial (a
 * retired key still referenced, a single unreadable row) is a warning for the operator, not a refusal.
 */
export async function checkKeysAtStart(deps: KeyRotationDeps): Promise<{ fatal?: string; warnings: string[] }> {
  const report = await keyReport(deps);
  const referenced = Object.keys(report.use);
  const configured = new Set(report.configuredKeys);
  const warnings: string[] = [];
  if (referenced.length > 0 && !referenced.some((k) => configured.has(k))) {
    return {
      fatal: `ROSTER_SECRET_KEY has none of the keys this database was written with (it uses ${referenced.join(', ')}); restore the key from your backup`,
      warnings,
    };
  }
  const sealedTotal = referenced.reduce((n, k) => n + (report.use[k]?.sealedSecrets ?? 0), 0);
  if (sealedTotal > 0 && report.unreadable.length === sealedTotal) {
    return {
      fatal: `ROSTER_SECRET_KEY is not the key this database was written with: none of its ${sealedTotal} encrypted secrets decrypts; restore the key from your backup`,
      warnings,
    };
  }
  const missing = referenced.filter((k) => !configured.has(k));
  if (missing.length > 0) {
    warnings.push(`stored values still depend on keys that are not configured: ${missing.join(', ')}`);
  }
  if (report.unreadable.length > 0) {
    warnings.push(`${report.unreadable.length} encrypted secret(s) do not decrypt (see npm run keys:status)`);
  }
  return { warnings };
}
