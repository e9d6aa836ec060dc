// oidc-provider's storage adapter on Roster's store: one instance per model, bound to one tenant.
import Provider, { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { clientSecretContext } from '../core/signin/clients.ts';
import { operatorClientSecretContext } from '../core/signin/operator-clients.ts';
import type { OidcClientRecord, SigninStore } from '../core/signin/ports.ts';
import { setBounded } from '../lib/bounded-map.ts';
import { DecryptionError, decryptSecret, type Keyring } from '../lib/keyring.ts';
import { unstorableReason } from '../lib/storable-text.ts';
import { rememberReads, takeGrant } from './request-reads.ts';

const epoch = () => Math.floor(Date.now() / 1000);

/**
 * Ids reach the adapter straight from requests oidc-provider parses itself (client_id, codes, tokens in form
 * bodies). One no store can hold (NUL: PostgreSQL fails the query) names nothing, as any unknown id does.
 */
const unknowable = (id: string) => typeof id !== 'string' || unstorableReason(id) !== undefined;

/**
 * The token endpoint's tokens: what it finds next is the token's grant, then its subject, so the token's read
 * fetches both in the same statement (ADR 0058).
 */
const READ_WITH_GRANT = new Set(['AuthorizationCode', 'RefreshToken']);

/**
 * Secrets already unsealed, by sealed text and context: every token request authenticates its app, and the sealed
 * text of an unchanged registration is the same string each time. oidc-provider keeps each registration it built,
 * secret included, for the life of the process already, so this holds nothing it does not (ADR 0058). A changed
 * secret is a new sealed text; bounded, as the registrations a process sees are.
 */
class UnsealedSecrets {
  private readonly secrets = new Map<string, string>();

  constructor(private readonly keyring: Keyring) {}

  unseal(sealed: string, context: string): string {
    const key = `${context}\u0000${sealed}`;
    let secret = this.secrets.get(key);
    if (secret === undefined) {
      secret = decryptSecret(this.keyring, sealed, context);
      setBounded(this.secrets, key, secret, 1_000);
    }
    return secret;
  }
}

/** A registration as oidc-provider reads it, with the secret unsealed under the context it was sealed to. */
function clientPayload(
  id: string,
  record: Pick<OidcClientRecord, 'metadata' | 'secretSealed'>,
  context: string,
  secrets: UnsealedSecrets,
): AdapterPayload | undefined {
  let secret: string | undefined;
  try {
    secret = record.secretSealed ? secrets.unseal(record.secretSealed, context) : undefined;
  } catch (error) {
    // A secret that does not decrypt here (moved from another app's row, or a retired key) makes the app
    // unknown: its requests fail closed as invalid_client instead of as a server error.
    if (error instanceof DecryptionError) return undefined;
    throw error;
  }
  return { ...record.metadata, client_id: id, ...(secret ? { client_secret: secret } : {}) } as AdapterPayload;
}

export function adapterFor(store: SigninStore, keyring: Keyring, tenantId: string): new (model: string) => Adapter {
  const secrets = new UnsealedSecrets(keyring);
  return class RosterAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client')
        throw new Error('apps are registered through /iam/v1/clients or /iam/v1/operator/clients');
      const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? epoch() + expiresIn : null;
      await store.payloads.upsert(tenantId, this.model, id, payload as Record<string, unknown>, expiresAt);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (unknowable(id)) return undefined;
      if (this.model === 'Client') return this.findClient(id);
      // oidc-provider's context of the request in progress (undefined outside one, e.g. Roster's own calls).
      const request = Provider.ctx;
      if (request !== undefined && READ_WITH_GRANT.has(this.model)) {
        const read = await store.payloads.findWithGrant(tenantId, this.model, id);
        if (read !== undefined) rememberReads(request, read);
        return read?.token as AdapterPayload | undefined;
      }
      if (this.model === 'Grant') {
        const prefetched = takeGrant(request, id);
        if (prefetched.found) return prefetched.payload as AdapterPayload | undefined;
      }
      return (await store.payloads.find(tenantId, this.model, id)) as AdapterPayload | undefined;
    }

    /**
     * Apps live in their own tables: the tenant's, then the vendor-wide ones every tenant's issuer knows (ADR 0044).
     * The secret is decrypted here, for the OP's comparison only.
     */
    private async findClient(id: string): Promise<AdapterPayload | undefined> {
      const own = await store.clients.get(tenantId, id);
      if (own) return clientPayload(id, own, clientSecretContext(tenantId, id), secrets);
      const shared = await store.operatorClients.get(id);
      return shared && clientPayload(id, shared, operatorClientSecretContext(id), secrets);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      if (unknowable(userCode)) return undefined;
      return (await store.payloads.findByUserCode(tenantId, this.model, userCode)) as AdapterPayload | undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      if (unknowable(uid)) return undefined;
      return (await store.payloads.findByUid(tenantId, this.model, uid)) as AdapterPayload | undefined;
    }

    /**
     * oidc-provider finds a code or refresh token unconsumed, then consumes it: two redemptions racing between the
     * two calls would both pass its check. The store consumes only an unconsumed row, so the later one lands here
     * and is answered as oidc-provider answers a replay it sees: the grant's tokens revoked, invalid_grant.
     */
    async consume(id: string): Promise<void> {
      if (unknowable(id)) return;
      if (await store.payloads.consume(tenantId, this.model, id, epoch())) return;
      const raced = await store.payloads.find(tenantId, this.model, id);
      const grantId = raced?.grantId;
      if (typeof grantId === 'string') {
        await store.payloads.revokeByGrantId(tenantId, grantId);
        await store.payloads.destroy(tenantId, 'Grant', grantId);
      }
      throw new errors.InvalidGrant(`${this.model === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
    }

    async destroy(id: string): Promise<void> {
      if (unknowable(id)) return;
      await store.payloads.destroy(tenantId, this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      if (unknowable(grantId)) return;
      await store.payloads.revokeByGrantId(tenantId, grantId);
    }
  };
}
