// The mail outbox (ADR 0040): links whose mail is queued are sent after their transaction committed, by every
// process in turn (a lease per row: exactly one sends it), retried with backoff, given up after MAX_ATTEMPTS. A
// request never waits on SMTP; `kick()` asks for a round now instead of at the next poll.

import { decryptSecret } from '../../lib/keyring.ts';
import { KickableLoop } from '../../lib/kickable-loop.ts';
import { recordAudit } from '../audit/audit.ts';
import type { CredentialDeps } from './deps.ts';
import { mailContext } from './links.ts';
import { linkMail, type Mailer } from './mail.ts';
import type { CredentialLinkRecord } from './ports.ts';

export const MAX_ATTEMPTS = 8;
const LEASE_MS = 60_000;
const BATCH = 20;

/** 30 s, 1 min, 2 min, … capped at 1 hour. */
export const retryDelayMs = (attempts: number) => Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1));

export class MailOutbox {
  // Scheduling (poll, kick, never overlapped) is the shared background loop's; this class is what a round does.
  private readonly loop: KickableLoop;
  private stopped = true;

  constructor(
    private readonly deps: CredentialDeps,
    private readonly mailer: Mailer,
    pollMs: number,
    warn: (error: unknown) => void,
  ) {
    this.loop = new KickableLoop(() => this.round(), pollMs, warn);
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
  }

  /** A round now (or right after the running one). */
  kick(): void {
    this.loop.kick();
  }

  async round(): Promise<void> {
    const now = this.deps.clock.now();
    const due = await this.deps.credentials.links.dueMail(now.toISOString(), BATCH);
    for (const link of due) {
      if (this.stopped) return;
      const until = new Date(now.getTime() + LEASE_MS).toISOString();
      if (await this.deps.credentials.links.claimMail(link.id, now.toISOString(), until)) await this.send(link);
    }
  }

  private async send(link: CredentialLinkRecord): Promise<void> {
    const attempts = link.mail.attempts + 1;
    let failure: string | undefined;
    try {
      const url = decryptSecret(this.deps.keyring, link.mail.sealed ?? '', mailContext(link.id));
      const tenant = await this.deps.store.tenants.get(link.tenantId);
      await this.mailer.send(linkMail(link.purpose, link.email, url, tenant?.name ?? 'your organisation'));
    } catch (error) {
      // The server's words, never the link: SMTP errors do not echo the message body.
      failure = (error as Error).message?.slice(0, 200) ?? 'unknown';
    }
    const now = this.deps.clock.now();
    const status = failure === undefined ? 'sent' : attempts >= MAX_ATTEMPTS ? 'failed' : 'queued';
    const nextAt = status === 'queued' ? new Date(now.getTime() + retryDelayMs(attempts)).toISOString() : null;
    await this.deps.credentials.transaction(async (tx) => {
      await tx.links.recordMail(link.id, { status, attempts, nextAt });
      await recordAudit(tx, now, {
        tenantId: link.tenantId,
        actor: 'roster',
        action:
          status === 'sent'
            ? 'credentials.mail_sent'
            : status === 'failed'
              ? 'credentials.mail_failed'
              : 'credentials.mail_retrying',
        target: link.id,
        data: { purpose: link.purpose, attempts, ...(failure ? { error: failure } : {}) },
      });
    });
  }
}
