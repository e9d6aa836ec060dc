// Passkeys for Roster ID (issue 13 item 3, ADR 0042): WebAuthn registration and usernameless sign-in with
// @simplewebauthn/server. Everything is tenant-scoped although the rpID (the host of ROSTER_PUBLIC_URL) is shared by
// all tenants: challenges are stored per tenant and bound to the enrolling user or the sign-in's interaction, a
// credential is looked up by (tenant, credential id), and the user handle the authenticator keeps is a digest of
// (tenant, user) — so a passkey made in tenant A names nobody in tenant B. Every outcome is audited.
import { createHash, timingSafeEqual } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { lazyModule } from '../../lib/lazy-module.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Repositories } from '../ports.ts';
import type { ChallengePurpose, PasskeyRecord, PasskeyStore } from './passkey-ports.ts';

const webauthn = lazyModule(() => import('@simplewebauthn/server'));

/** How long a ceremony may take, from options to verify (also the browser's timeout). */
export const CEREMONY_MS = 5 * 60_000;

export interface RelyingParty {
  /** The host of ROSTER_PUBLIC_URL, without port. */
  readonly id: string;
  /** The origin of ROSTER_PUBLIC_URL: the only origin a ceremony may come from. */
  readonly origin: string;
}

export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin };
}

export interface PasskeyDeps {
  readonly store: Pick<Repositories, 'audit'> & PasskeyStore;
  readonly clock: Clock;
  readonly rp: RelyingParty;
}

export type PasskeyRefusal =
  /** Unknown, spent, expired, or made for another purpose, user or interaction. */
  | 'challenge_invalid'
  /** Not a passkey of this tenant (possibly one of another tenant). */
  | 'credential_unknown'
  | 'user_handle_mismatch'
  /** The signature, origin, rpID, flags or attestation did not verify. */
  | 'verification_failed'
  /** The signature counter went backwards or stood still: a cloned authenticator is suspected (ADR 0042). */
  | 'clone_suspected'
  | 'already_registered'
  | 'malformed'
  /** The passkey verified, but its user is disabled or gone. */
  | 'subject_inactive'
  /** The passkey verified, but own credentials are refused to this person (ssoRequiredForVerifiedDomains). */
  | 'sso_required';

/** Whether the user a passkey verified for may sign in now; a refusal is audited as the sign-in's outcome. */
export type AdmitUser = (userId: string) => Promise<'subject_inactive' | 'sso_required' | null>;

export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: PasskeyRefusal };

/** The user handle stored in the authenticator: 32 bytes naming (tenant, user), never an email or a name. */
export function userHandle(tenantId: string, userId: string): Uint8Array<ArrayBuffer> {
  const digest = createHash('sha256').update(`roster-passkey-user\0${tenantId}\0${userId}`).digest();
  return new Uint8Array(digest);
}

export interface EnrollingUser {
  readonly id: string;
  readonly userName: string;
  readonly displayName: string;
}

async function newChallenge(
  deps: PasskeyDeps,
  tenantId: string,
  purpose: ChallengePurpose,
  boundTo: string,
  challenge: string,
): Promise<void> {
  const expiresAt = new Date(deps.clock.now().getTime() + CEREMONY_MS).toISOString();
  await deps.store.challenges.insert({ tenantId, challenge, purpose, boundTo, expiresAt });
}

/** The challenge the browser signed, spent now whatever happens next; valid only for this purpose and binding. */
async function spendChallenge(
  deps: PasskeyDeps,
  tenantId: string,
  purpose: ChallengePurpose,
  boundTo: string,
  clientDataJSON: unknown,
): Promise<string | undefined> {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 4096) return undefined;
  let challenge: unknown;
  try {
    challenge = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')).challenge;
  } catch {
    return undefined;
  }
  if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(challenge)) return undefined;
  const row = await deps.store.challenges.take(tenantId, challenge);
  if (!row || row.purpose !== purpose || row.boundTo !== boundTo) return undefined;
  if (row.expiresAt <= deps.clock.now().toISOString()) return undefined;
  return challenge;
}

/** RFC 8176: a device-bound key is hardware-held ('hwk'); a synced passkey is a copyable, software key ('swk'). */
function amrOf(passkey: Pick<PasskeyRecord, 'deviceType' | 'backedUp'>): readonly string[] {
  const key = passkey.deviceType === 'singleDevice' && !passkey.backedUp ? 'hwk' : 'swk';
  // User verification is required at every ceremony (ADR 0042), so the passkey is itself two factors.
  return [key, 'user'];
}

async function audit(
  deps: PasskeyDeps,
  tenantId: string,
  action: string,
  actor: string,
  target: string | null,
  data: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit(deps.store, deps.clock.now(), { tenantId, actor, action, target, data });
}

/** Options for navigator.credentials.create(): a discoverable credential with user verification (ADR 0042). */
export async function registrationOptions(
  deps: PasskeyDeps,
  tenantId: string,
  user: EnrollingUser,
  rpName: string,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await deps.store.passkeys.listForUser(tenantId, user.id);
  const { generateRegistrationOptions } = await webauthn();
  const options = await generateRegistrationOptions({
    rpName,
    rpID: deps.rp.id,
    userName: user.userName,
    userDisplayName: user.displayName,
    userID: userHandle(tenantId, user.id),
    timeout: CEREMONY_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: [...p.transports] })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  });
  await newChallenge(deps, tenantId, 'register', user.id, options.challenge);
  return options;
}

/** Verifies a new passkey of `userId` and stores it; refusals and successes are audited. */
export async function verifyRegistration(
  deps: PasskeyDeps,
  tenantId: string,
  userId: string,
  response: unknown,
  name: string,
): Promise<Outcome<PasskeyRecord>> {
  const refuse = async (reason: PasskeyRefusal, detail?: string): Promise<Outcome<PasskeyRecord>> => {
    await audit(deps, tenantId, 'passkey.registration_refused', `user:${userId}`, userId, {
      reason,
      ...(detail ? { detail } : {}),
    });
    return { ok: false, reason };
  };
  const parsed = registrationResponse(response);
  if (!parsed) return refuse('malformed');
  const challenge = await spendChallenge(deps, tenantId, 'register', userId, parsed.response.clientDataJSON);
  if (!challenge) return refuse('challenge_invalid');
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await (await webauthn()).verifyRegistrationResponse({
      response: parsed,
      expectedChallenge: challenge,
      expectedOrigin: deps.rp.origin,
      expectedRPID: deps.rp.id,
      requireUserVerification: true,
    });
  } catch (error) {
    return refuse('verification_failed', (error as Error).message.slice(0, 200));
  }
  if (!verified.verified) return refuse('verification_failed');
  const info = verified.registrationInfo;
  const passkey: PasskeyRecord = {
    tenantId,
    id: newId(),
    userId,
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    signCount: info.credential.counter,
    transports: (info.credential.transports ?? []).filter((t) => /^[a-z-]{1,32}$/.test(t)),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    name: name.trim().slice(0, 100) || 'Passkey',
    createdAt: deps.clock.now().toISOString(),
    lastUsedAt: null,
  };
  if (!(await deps.store.passkeys.insert(passkey))) return refuse('already_registered');
  await audit(deps, tenantId, 'passkey.registered', `user:${userId}`, userId, {
    passkeyId: passkey.id,
    deviceType: passkey.deviceType,
    backedUp: passkey.backedUp,
  });
  return { ok: true, value: passkey };
}

/** Options for navigator.credentials.get(): usernameless, so no credential list (nothing to enumerate). */
export async function authenticationOptions(
  deps: PasskeyDeps,
  tenantId: string,
  interactionUid: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { generateAuthenticationOptions } = await webauthn();
  const options = await generateAuthenticationOptions({
    rpID: deps.rp.id,
    timeout: CEREMONY_MS,
    userVerification: 'required',
  });
  await newChallenge(deps, tenantId, 'authenticate', interactionUid, options.challenge);
  return options;
}

export interface PasskeySignIn {
  readonly userId: string;
  readonly passkeyId: string;
  readonly amr: readonly string[];
}

/**
 * Verifies an assertion made for the interaction `interactionUid`. The counter is advanced with compare-and-set,
 * so of two sign-ins with one assertion at most one passes (the spent challenge already stops the second).
 */
export async function verifyAuthentication(
  deps: PasskeyDeps,
  tenantId: string,
  interactionUid: string,
  response: unknown,
  admit: AdmitUser,
): Promise<Outcome<PasskeySignIn>> {
  const refuse = async (
    reason: PasskeyRefusal,
    target: string | null,
    detail?: string,
  ): Promise<Outcome<PasskeySignIn>> => {
    await audit(deps, tenantId, 'passkey.signin_refused', target ? `user:${target}` : 'anonymous', target, {
      reason,
      ...(detail ? { detail } : {}),
    });
    return { ok: false, reason };
  };
  const parsed = authenticationResponse(response);
  if (!parsed) return refuse('malformed', null);
  const challenge = await spendChallenge(
    deps,
    tenantId,
    'authenticate',
    interactionUid,
    parsed.response.clientDataJSON,
  );
  if (!challenge) return refuse('challenge_invalid', null);
  const passkey = await deps.store.passkeys.byCredentialId(tenantId, parsed.id);
  if (!passkey) return refuse('credential_unknown', null);
  const handle = parsed.response.userHandle;
  const expected = Buffer.from(userHandle(tenantId, passkey.userId));
  const given = typeof handle === 'string' ? Buffer.from(handle, 'base64url') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse('user_handle_mismatch', passkey.userId);
  }
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await (await webauthn()).verifyAuthenticationResponse({
      response: parsed,
      expectedChallenge: challenge,
      expectedOrigin: deps.rp.origin,
      expectedRPID: deps.rp.id,
      requireUserVerification: true,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
        counter: passkey.signCount,
        transports: passkey.transports as never,
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    // @simplewebauthn refuses a counter that did not grow (when either side is non-zero): WebAuthn §6.1.1.
    if (/counter/i.test(message)) return refuse('clone_suspected', passkey.userId, message.slice(0, 200));
    return refuse('verification_failed', passkey.userId, message.slice(0, 200));
  }
  if (!verified.verified) return refuse('verification_failed', passkey.userId);
  const info = verified.authenticationInfo;
  // The assertion is genuine and its challenge spent; the counter still advances when the person is refused.
  const refusal = await admit(passkey.userId);
  const at = deps.clock.now().toISOString();
  const recorded = await deps.store.passkeys.recordUse(tenantId, passkey.id, passkey.signCount, {
    signCount: info.newCounter,
    backedUp: info.credentialBackedUp,
    at,
  });
  if (!recorded) return refuse('clone_suspected', passkey.userId, 'a concurrent use advanced the counter first');
  if (refusal) return refuse(refusal, passkey.userId);
  const amr = amrOf({ deviceType: passkey.deviceType, backedUp: info.credentialBackedUp });
  await audit(deps, tenantId, 'passkey.signed_in', `user:${passkey.userId}`, passkey.userId, {
    passkeyId: passkey.id,
    amr,
  });
  return { ok: true, value: { userId: passkey.userId, passkeyId: passkey.id, amr } };
}

/** A passkey sign-in the caller refused after the passkey verified (a disabled user, SSO required): audited too. */
export async function recordRefusedUser(
  deps: PasskeyDeps,
  tenantId: string,
  userId: string,
  reason: string,
): Promise<void> {
  await audit(deps, tenantId, 'passkey.signin_refused', `user:${userId}`, userId, { reason });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const B64URL = /^[A-Za-z0-9_-]{1,8192}$/;

/** The shape @simplewebauthn expects, checked before any work: bad input is a refusal, never a thrown TypeError. */
function registrationResponse(value: unknown): RegistrationResponseJSON | undefined {
  if (!isObject(value) || !isObject(value.response)) return undefined;
  const { id, rawId, type, response } = value;
  if (typeof id !== 'string' || !B64URL.test(id) || rawId !== id || type !== 'public-key') return undefined;
  if (typeof response.clientDataJSON !== 'string' || typeof response.attestationObject !== 'string') return undefined;
  return value as unknown as RegistrationResponseJSON;
}

function authenticationResponse(value: unknown): AuthenticationResponseJSON | undefined {
  if (!isObject(value) || !isObject(value.response)) return undefined;
  const { id, rawId, type, response } = value;
  if (typeof id !== 'string' || !B64URL.test(id) || rawId !== id || type !== 'public-key') return undefined;
  if (typeof response.clientDataJSON !== 'string' || typeof response.authenticatorData !== 'string') return undefined;
  if (typeof response.signature !== 'string') return undefined;
  if (response.userHandle !== undefined && typeof response.userHandle !== 'string') return undefined;
  return value as unknown as AuthenticationResponseJSON;
}
