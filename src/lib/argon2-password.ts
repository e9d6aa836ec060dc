// Roster ID passwords (ADR 0041): Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane), PHC string
// format, so the parameters travel with each hash and can be raised later (a hash on older parameters is rehashed
// at the next successful sign-in).
import { lazyModule } from './lazy-module.ts';

const argon2 = lazyModule(() => import('@node-rs/argon2'));

/** `Algorithm.Argon2id`: the package's enum is an ambient const enum, which this build cannot import. */
const ARGON2ID = 2;

export const ARGON2_PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashArgon2(password: string): Promise<string> {
  return argon2().then(({ hash }) => hash(password.normalize('NFC'), ARGON2_PARAMS));
}

export async function verifyArgon2(stored: string, password: string): Promise<boolean> {
  try {
    const { verify } = await argon2();
    return await verify(stored, password.normalize('NFC'));
  } catch {
    // A malformed stored hash verifies nothing (and is not a crash).
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same work as a real verification, for an account that does not exist or has no password: the answer
 * then takes as long as a wrong password would (no enumeration by timing). Always false.
 */
export async function verifyDummy(password: string): Promise<false> {
  dummy ??= hashArgon2('roster-dummy-password-for-timing');
  await verifyArgon2(await dummy, password);
  return false;
}
