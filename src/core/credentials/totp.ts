// TOTP as a second factor for password users (RFC 6238 via otplib, ADR 0041): 6 digits, 30 s steps, SHA-1 (what
// authenticator apps implement), ±1 step accepted, and a step once used is spent (compare-and-set in the store).
import { decryptSecret, encryptSecret } from '../../lib/keyring.ts';
import { lazyModule } from '../../lib/lazy-module.ts';
import { recordAudit } from '../audit/audit.ts';
import type { CredentialDeps } from './deps.ts';

const otplib = lazyModule(() => import('otplib'));

/** The context a TOTP secret is sealed to (exported for key rotation, src/core/keys/rotation.ts). */
export const totpSecretContext = (tenantId: string, userId: string) => `totp:${tenantId}:${userId}`;
const context = totpSecretContext;
const CODE = /^[0-9]{6}$/;

const epochOf = (deps: CredentialDeps) => Math.floor(deps.clock.now().getTime() / 1000);

/** A fresh, unconfirmed secret for the user (replacing an unconfirmed one): shown once on the enrolment page. */
export async function beginTotp(
  deps: CredentialDeps,
  tenantId: string,
  userId: string,
  label: string,
  issuer: string,
): Promise<{ secret: string; uri: string }> {
  const existing = await deps.credentials.totp.get(tenantId, userId);
  if (existing?.confirmedAt) throw new Error('TOTP is already confirmed for this user');
  const { generateSecret, generateURI } = await otplib();
  const secret = generateSecret();
  await deps.credentials.totp.put({
    tenantId,
    userId,
    secretSealed: encryptSecret(deps.keyring, secret, context(tenantId, userId)),
    createdAt: deps.clock.now().toISOString(),
    confirmedAt: null,
    lastUsedStep: null,
  });
  return { secret, uri: generateURI({ issuer, label, secret }) };
}

/** The time step the code is valid for (±1 step), or undefined. */
async function stepOf(
  deps: CredentialDeps,
  sealed: string,
  tenantId: string,
  userId: string,
  code: string,
  after?: number,
) {
  if (!CODE.test(code)) return undefined;
  const secret = decryptSecret(deps.keyring, sealed, context(tenantId, userId));
  const { verify } = await otplib();
  const result = await verify({
    secret,
    token: code,
    epoch: epochOf(deps),
    epochTolerance: 30,
    ...(after === undefined ? {} : { afterTimeStep: after }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

export async function hasConfirmedTotp(deps: CredentialDeps, tenantId: string, userId: string): Promise<boolean> {
  return Boolean((await deps.credentials.totp.get(tenantId, userId))?.confirmedAt);
}

/** Confirms the enrolment with a first code; that code's step is then spent. */
export async function confirmTotp(deps: CredentialDeps, tenantId: string, userId: string, code: string) {
  const factor = await deps.credentials.totp.get(tenantId, userId);
  if (!factor || factor.confirmedAt) return false;
  const step = await stepOf(deps, factor.secretSealed, tenantId, userId, code);
  if (step === undefined) return false;
  const now = deps.clock.now();
  return deps.credentials.transaction(async (tx) => {
    if (!(await tx.totp.confirm(tenantId, userId, now.toISOString(), step))) return false;
    await recordAudit(tx, now, {
      tenantId,
      actor: `user:${userId}`,
      action: 'credentials.totp_enrolled',
      target: userId,
    });
    return true;
  });
}

/** A sign-in's second factor: the code must be valid now and its step not used before (no replay). */
export async function verifyTotp(deps: CredentialDeps, tenantId: string, userId: string, code: string) {
  const factor = await deps.credentials.totp.get(tenantId, userId);
  if (!factor?.confirmedAt) return false;
  const step = await stepOf(deps, factor.secretSealed, tenantId, userId, code, factor.lastUsedStep ?? undefined);
  if (step === undefined) return false;
  return deps.credentials.totp.useStep(tenantId, userId, step);
}
