// Server secret keys: parsing ROSTER_SECRET_KEY, deriving purpose keys (HKDF), keyed hashes and AEAD for secrets at rest.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SecretKey {
  readonly id: string;
  readonly material: Buffer; // 32 bytes
}

/**
 * The keys the server holds: the first is active (encrypts and hashes new values); the others stay readable
 * so ciphertexts and token digests made under them keep working while keys rotate.
 */
export interface Keyring {
  readonly active: SecretKey;
  readonly keys: ReadonlyMap<string, SecretKey>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** `kid:base64(32 bytes)[,kid:base64…]`, active key first. A bare base64 key gets the id `k1`. */
export function parseKeyring(text: string): Keyring {
  const keys = new Map<string, SecretKey>();
  let active: SecretKey | undefined;
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    const id = colon === -1 ? 'k1' : part.slice(0, colon);
    const encoded = colon === -1 ? part : part.slice(colon + 1);
    if (!KEY_ID.test(id)) throw new Error(`secret key id "${id}" must be 1-32 characters of [A-Za-z0-9_-]`);
    const material = Buffer.from(encoded, 'base64');
    if (material.length !== 32) throw new Error(`secret key "${id}" must be 32 bytes, base64-encoded`);
    if (keys.has(id)) throw new Error(`secret key id "${id}" appears twice`);
    const key = { id, material };
    keys.set(id, key);
    active ??= key;
  }
  if (!active) throw new Error('no secret key given');
  return { active, keys };
}

export function generateKeyText(id = 'k1'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

type Purpose = 'token-digest' | 'secret-encryption' | 'cookie-signing';

const derived = new WeakMap<SecretKey, Map<Purpose, Buffer>>();

/** Separate keys per purpose so a digest key can never decrypt, and vice versa. */
function derive(key: SecretKey, purpose: Purpose): Buffer {
  let byPurpose = derived.get(key);
  if (!byPurpose) {
    byPurpose = new Map();
    derived.set(key, byPurpose);
  }
  let out = byPurpose.get(purpose);
  if (!out) {
    out = Buffer.from(hkdfSync('sha256', key.material, Buffer.alloc(0), `roster/${purpose}`, 32));
    byPurpose.set(purpose, out);
  }
  return out;
}

export interface Digest {
  readonly keyId: string;
  readonly digest: string; // base64url HMAC-SHA256
}

export function digestSecret(ring: Keyring, secret: string, keyId = ring.active.id): Digest {
  const key = ring.keys.get(keyId);
  if (!key) throw new Error(`unknown secret key id "${keyId}"`);
  const mac = createHmac('sha256', derive(key, 'token-digest')).update(secret, 'utf8').digest('base64url');
  return { keyId, digest: mac };
}

/** Constant-time comparison of a presented secret with a stored digest. Unknown key id → false. */
export function verifySecret(ring: Keyring, secret: string, stored: Digest): boolean {
  if (!ring.keys.has(stored.keyId)) return false;
  const actual = Buffer.from(digestSecret(ring, secret, stored.keyId).digest, 'base64url');
  const expected = Buffer.from(stored.digest, 'base64url');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * AES-256-GCM with a random 96-bit nonce. `context` is bound as additional data (e.g. tenant id + row id), so a
 * ciphertext copied onto another row fails to decrypt. Format: `v1.<keyId>.<nonce>.<ciphertext>.<tag>` (base64url).
 */
export function encryptSecret(ring: Keyring, plaintext: string, context: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derive(ring.active, 'secret-encryption'), nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    'v1',
    ring.active.id,
    nonce.toString('base64url'),
    body.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
}

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt secret: ${reason}`);
    this.name = 'DecryptionError';
  }
}

export function decryptSecret(ring: Keyring, sealed: string, context: string): string {
  const [version, keyId, nonce, body, tag] = sealed.split('.');
  if (version !== 'v1' || !keyId || nonce === undefined || body === undefined || tag === undefined) {
    throw new DecryptionError('unknown format');
  }
  const key = ring.keys.get(keyId);
  if (!key) throw new DecryptionError(`key "${keyId}" is not configured`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', derive(key, 'secret-encryption'), Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError('authentication failed (wrong key or ciphertext moved to another row)');
  }
}

/** The key id a sealed value was encrypted under (for re-encryption after rotation). */
export function sealedKeyId(sealed: string): string | undefined {
  return sealed.split('.')[1];
}

/**
 * Cookie signing keys for one scope (a tenant's OpenID Provider), active key first: every process derives the same
 * ones, and cookies signed under a retiring server key stay valid while it is still configured.
 */
export function cookieKeys(ring: Keyring, scope: string): string[] {
  const ordered = [ring.active, ...[...ring.keys.values()].filter((k) => k !== ring.active)];
  return ordered.map((key) =>
    createHmac('sha256', derive(key, 'cookie-signing')).update(scope, 'utf8').digest('base64url'),
  );
}
