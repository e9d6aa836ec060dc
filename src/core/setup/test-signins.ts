// Test sign-ins (ADR 0029): an admin runs a real sign-in through one of the tenant's SSO providers, and Roster
// records what came back — the claims, and the subject it would resolve to or why it would refuse — instead of
// signing anyone in to an app. The URL's key starts it once; a cookie binds the callback to the browser that did.
import { randomBytes } from 'node:crypto';
import { newId } from '../../lib/ids.ts';
import { digestSecret, verifySecret } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError } from '../errors.ts';
import type { CoreDeps } from '../ports.ts';
import type { TestSignInOutcome, TestSignInRecord } from './ports.ts';
import type { SetupDeps } from './setup-links.ts';

/** As long as the upstream login state it starts (src/oidc/upstream-login.ts). */
export const TEST_SIGNIN_TTL_MS = 10 * 60_000;

/** Protocol values and token hashes of an ID token: not about the person, and no use to the admin. */
const PROTOCOL_CLAIMS = new Set(['nonce', 'at_hash', 'c_hash', 's_hash', 'sid', 'auth_time', 'acr', 'amr', 'azp']);

export function claimsToShow(claims: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([name]) => !PROTOCOL_CLAIMS.has(name)));
}

export function testSignInUrl(publicUrl: string, tenantId: string, id: string, key: string): string {
  return `${publicUrl}/${tenantId}/signin/test/${id}?key=${key}`;
}

export async function createTestSignIn(
  deps: SetupDeps,
  actor: string,
  tenantId: string,
  scheme: string,
): Promise<{ record: TestSignInRecord; url: string }> {
  const sso = await deps.store.ssoProviders.get(tenantId, scheme);
  if (!sso) throw new DomainError('sso.not_found', `no SSO provider with scheme "${scheme}"`);
  const now = deps.clock.now();
  const key = randomBytes(32).toString('base64url');
  const record: TestSignInRecord = {
    id: newId(),
    tenantId,
    providerId: sso.id,
    scheme: sso.scheme,
    startKey: digestSecret(deps.keyring, key),
    browserKey: null,
    status: 'pending',
    createdBy: actor,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + TEST_SIGNIN_TTL_MS).toISOString(),
    startedAt: null,
    finishedAt: null,
    outcome: null,
  };
  await deps.setup.transaction(async (tx) => {
    await tx.testSignIns.insert(record);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'sso.test_signin.created',
      target: record.id,
      data: { provider: sso.scheme },
    });
  });
  return { record, url: testSignInUrl(deps.publicUrl, tenantId, record.id, key) };
}

export async function getTestSignIn(
  deps: Pick<SetupDeps, 'setup'>,
  tenantId: string,
  id: string,
): Promise<TestSignInRecord> {
  const record = await deps.setup.testSignIns.get(tenantId, id);
  if (!record) throw new DomainError('test_signin.not_found', 'no such test sign-in');
  return record;
}

/** What the browser's start of a test leads to: off to the IdP (with a secret for its cookie), or already over. */
export type TestStartStep =
  | { readonly kind: 'redirect'; readonly location: string; readonly browserSecret: string }
  | { readonly kind: 'finished'; readonly outcome: TestSignInOutcome }
  | { readonly kind: 'refused'; readonly reason: 'unknown' | 'used' | 'expired' };

/** The callback of a test: its outcome, or nothing to show (unknown, or another browser's). */
export type TestReturnStep =
  | { readonly kind: 'finished'; readonly outcome: TestSignInOutcome }
  | { readonly kind: 'gone' };

export type TestStart =
  | { readonly kind: 'started'; readonly record: TestSignInRecord; readonly browserSecret: string }
  | { readonly kind: 'refused'; readonly reason: 'unknown' | 'used' | 'expired' };

/** The URL's key, checked in constant time, starts the test once; the browser gets a secret to come back with. */
export async function beginTestSignIn(
  deps: Pick<SetupDeps, 'setup' | 'keyring' | 'clock'>,
  tenantId: string,
  id: string,
  key: string,
): Promise<TestStart> {
  const record = await deps.setup.testSignIns.get(tenantId, id);
  if (!record || !verifySecret(deps.keyring, key, record.startKey)) return { kind: 'refused', reason: 'unknown' };
  const now = deps.clock.now();
  if (Date.parse(record.expiresAt) <= now.getTime()) return { kind: 'refused', reason: 'expired' };
  const browserSecret = randomBytes(32).toString('base64url');
  const started = await deps.setup.testSignIns.markStarted(
    tenantId,
    id,
    digestSecret(deps.keyring, browserSecret),
    now.toISOString(),
  );
  return started ? { kind: 'started', record, browserSecret } : { kind: 'refused', reason: 'used' };
}

/** Whether the callback came back to the browser that started the test (its cookie). */
export function sameBrowser(deps: Pick<CoreDeps, 'keyring'>, record: TestSignInRecord, cookie: string | undefined) {
  return cookie !== undefined && record.browserKey !== null && verifySecret(deps.keyring, cookie, record.browserKey);
}

/** Records the outcome once (a replayed callback changes nothing), and audits it without the claims. */
export async function finishTestSignIn(
  deps: Pick<SetupDeps, 'setup' | 'clock'>,
  record: TestSignInRecord,
  outcome: TestSignInOutcome,
): Promise<boolean> {
  const now = deps.clock.now();
  return deps.setup.transaction(async (tx) => {
    if (!(await tx.testSignIns.markFinished(record.tenantId, record.id, outcome, now.toISOString()))) return false;
    await recordAudit(tx, now, {
      tenantId: record.tenantId,
      actor: record.createdBy,
      action: 'sso.test_signin.finished',
      target: record.id,
      data: {
        provider: record.scheme,
        result: outcome.result,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.subject?.userId ? { userId: outcome.subject.userId } : {}),
      },
    });
    return true;
  });
}
