// Console sessions (ADR 0028): started by a setup link or an admin token pasted once, held server-side, ended by
// logout, idle time or age. The browser holds `<id>.<secret>`; the store holds the secret's keyed digest only.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { newTokenId } from '../../lib/ids.ts';
import { digestSecret, verifySecret } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import { type AuthDeps, authenticate, requireKind } from '../auth/principal.ts';
import type { CoreDeps } from '../ports.ts';
import type { ConsoleSessionRecord, ConsoleSessionRepository } from './ports.ts';

export interface ConsoleSessionDeps extends CoreDeps {
  readonly sessions: ConsoleSessionRepository;
  readonly timeouts: ConsoleTimeouts;
}

export interface ConsoleTimeouts {
  /** A session unused this long is over. */
  readonly idleMs: number;
  /** A session this old is over, however busy. */
  readonly absoluteMs: number;
}

export interface StartedSession {
  /** The cookie value: shown to the browser once, never stored in clear. */
  readonly cookie: string;
  readonly session: ConsoleSessionRecord;
}

/** lastSeenAt is written at most this often: a page view is a read and should not always be a write. */
const TOUCH_RESOLUTION_MS = 30_000;
const COOKIE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * Starts a session for `tenantId`. `replacing`, the cookie the browser presented (if any), is ended first, so the
 * id after login is always fresh and an id planted before login opens nothing (no session fixation).
 */
export async function startConsoleSession(
  deps: ConsoleSessionDeps,
  tenantId: string,
  actor: string,
  how: 'setup_link' | 'admin_token',
  replacing?: string | undefined,
): Promise<StartedSession> {
  if (replacing !== undefined) await endConsoleSession(deps, replacing);
  const now = deps.clock.now().toISOString();
  const id = newTokenId();
  const secret = randomBytes(32).toString('base64url');
  const session: ConsoleSessionRecord = {
    id,
    tenantId,
    secret: digestSecret(deps.keyring, secret),
    csrf: randomBytes(32).toString('base64url'),
    actor,
    createdAt: now,
    lastSeenAt: now,
  };
  await deps.sessions.insert(session);
  await deps.store.transaction((tx) =>
    recordAudit(tx, deps.clock.now(), { tenantId, actor, action: 'console.signed_in', target: id, data: { how } }),
  );
  return { cookie: `${id}.${secret}`, session };
}

/** An admin token pasted on the sign-in form: valid admin tokens only; the token itself is not kept anywhere. */
export async function startSessionWithAdminToken(
  deps: ConsoleSessionDeps & AuthDeps,
  token: string,
  replacing?: string | undefined,
): Promise<StartedSession> {
  const principal = requireKind(await authenticate(deps, token.trim()), 'admin');
  return startConsoleSession(deps, principal.tenantId, `admin:${principal.tokenId}`, 'admin_token', replacing);
}

/** The live session a cookie names, or undefined (unknown, wrong secret, idle too long, too old: all the same). */
export async function resolveConsoleSession(
  deps: ConsoleSessionDeps,
  cookie: string | undefined,
): Promise<ConsoleSessionRecord | undefined> {
  const parts = cookie ? COOKIE.exec(cookie) : null;
  if (!parts) return undefined;
  const row = await deps.sessions.get(parts[1]!);
  if (!row || !verifySecret(deps.keyring, parts[2]!, row.secret)) return undefined;
  const now = deps.clock.now().getTime();
  const idle = now - Date.parse(row.lastSeenAt);
  if (idle >= deps.timeouts.idleMs || now - Date.parse(row.createdAt) >= deps.timeouts.absoluteMs) {
    await deps.sessions.delete(row.id);
    return undefined;
  }
  if (idle >= TOUCH_RESOLUTION_MS) await deps.sessions.touch(row.id, new Date(now).toISOString());
  return row;
}

export async function endConsoleSession(deps: ConsoleSessionDeps, cookie: string): Promise<void> {
  const parts = COOKIE.exec(cookie);
  if (!parts) return;
  const row = await deps.sessions.get(parts[1]!);
  if (row && verifySecret(deps.keyring, parts[2]!, row.secret)) await deps.sessions.delete(row.id);
}

/** Constant-time check of a form's synchronizer token against its session's. */
export function csrfMatches(session: ConsoleSessionRecord, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
