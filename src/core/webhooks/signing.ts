// Webhook secrets and signatures, per the Standard Webhooks specification (the `standardwebhooks` package).
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DecryptionError, decryptSecret, encryptSecret, type Keyring } from '../../lib/keyring.ts';
import type { ClaimedEndpoint } from './records.ts';

/** `whsec_` + base64 of 32 random bytes: the format Standard Webhooks libraries accept as is. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The context a secret is sealed to: the ciphertext moved onto another endpoint's row does not decrypt. */
export function webhookSecretContext(webhookId: string): string {
  return `webhook-secret:${webhookId}`;
}

export function sealWebhookSecret(keyring: Keyring, webhookId: string, secret: string): string {
  return encryptSecret(keyring, secret, webhookSecretContext(webhookId));
}

export interface EndpointSigner {
  /** The three Standard Webhooks headers for one message. */
  headers(eventId: string, body: string): Record<string, string>;
}

/**
 * Signs with the current secret, and also with the previous one while it is within its 24 hours after a rotation:
 * `webhook-signature: v1,<new> v1,<old>` (space-separated, as the specification allows), so a receiver that has
 * not switched yet still verifies.
 */
export function endpointSigner(
  keyring: Keyring,
  endpoint: ClaimedEndpoint,
  now: Date,
  wallClock: () => number,
): EndpointSigner {
  const open = (sealed: string) => new Webhook(decryptSecret(keyring, sealed, webhookSecretContext(endpoint.id)));
  const signers = [open(endpoint.secretSealed)];
  if (
    endpoint.previousSecretSealed !== null &&
    endpoint.previousSecretUntil !== null &&
    endpoint.previousSecretUntil > now.toISOString()
  ) {
    // The previous secret is not re-encrypted by key rotation (it lives 24 hours): one sealed under a retired key
    // is left out rather than stopping delivery.
    try {
      signers.push(open(endpoint.previousSecretSealed));
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
    }
  }
  return {
    headers(eventId, body) {
      // The receiver compares webhook-timestamp with its own clock (5 minutes of tolerance in the libraries), so it
      // is wall-clock time, not the injected scheduling clock.
      const at = new Date(Math.floor(wallClock() / 1000) * 1000);
      return {
        'content-type': 'application/json',
        'webhook-id': eventId,
        'webhook-timestamp': String(at.getTime() / 1000),
        'webhook-signature': signers.map((s) => s.sign(eventId, at, body)).join(' '),
      };
    },
  };
}
