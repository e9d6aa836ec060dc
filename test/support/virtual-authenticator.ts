// A real WebAuthn authenticator for browser tests: chromium's virtual authenticator, driven over the DevTools
// protocol from playwright-core (WebAuthn.enable + WebAuthn.addVirtualAuthenticator). It makes real key pairs,
// signs real assertions and keeps a real signature counter; nothing in Roster is mocked.
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

export interface VirtualAuthenticatorOptions {
  /** Default true: the authenticator passes user verification (a PIN or biometric, simulated). */
  readonly isUserVerified?: boolean;
  /** Default false: credentials are device-bound (amr 'hwk'); true makes them backed up, as a synced passkey. */
  readonly backedUp?: boolean;
}

export interface StoredCredential {
  readonly credentialId: string;
  readonly rpId?: string;
  readonly userHandle?: string;
  readonly signCount: number;
  readonly isResidentCredential: boolean;
}

export interface VirtualAuthenticator {
  readonly session: CDPSession;
  readonly authenticatorId: string;
  /** The credentials it holds (discoverable ones included), as the protocol reports them. */
  credentials(): Promise<readonly StoredCredential[]>;
  remove(): Promise<void>;
}

/**
 * Attaches a CTAP2 platform authenticator ("internal" transport) with resident keys and user verification to the
 * page's target. Presence is simulated automatically, so navigator.credentials.create()/get() complete unattended.
 */
export async function addVirtualAuthenticator(
  context: BrowserContext,
  page: Page,
  options: VirtualAuthenticatorOptions = {},
): Promise<VirtualAuthenticator> {
  const session = await context.newCDPSession(page);
  await session.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await session.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: options.isUserVerified ?? true,
      automaticPresenceSimulation: true,
      defaultBackupEligibility: options.backedUp ?? false,
      defaultBackupState: options.backedUp ?? false,
    },
  });
  return {
    session,
    authenticatorId,
    async credentials() {
      const { credentials } = await session.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials.map((c) => ({
        credentialId: c.credentialId,
        signCount: c.signCount,
        isResidentCredential: c.isResidentCredential,
        ...(c.rpId === undefined ? {} : { rpId: c.rpId }),
        ...(c.userHandle === undefined ? {} : { userHandle: c.userHandle }),
      }));
    },
    async remove() {
      await session.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      await session.detach();
    },
  };
}
