// What the credential use cases run on: the core's store, the credential store, the keyring and the clock.
import type { Clock } from '../../lib/clock.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { Store } from '../ports.ts';
import type { CredentialStore } from './ports.ts';

export interface CredentialDeps {
  readonly store: Store;
  readonly credentials: CredentialStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
}
