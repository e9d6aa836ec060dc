// The SMTP adapter of the mail port (ADR 0040): nodemailer on ROSTER_SMTP_URL, From ROSTER_SMTP_FROM. Plain text
// only (no HTML to escape). Connection and send time are bounded so a stuck server cannot hold the outbox.
import nodemailer from 'nodemailer';
import type { Mailer } from '../core/credentials/mail.ts';

export function createSmtpMailer(url: string, from: string): Mailer & { close(): void } {
  const parsed = new URL(url);
  parsed.searchParams.set('connectionTimeout', '10000');
  parsed.searchParams.set('greetingTimeout', '10000');
  parsed.searchParams.set('socketTimeout', '20000');
  const transport = nodemailer.createTransport(parsed.href);
  return {
    async send(message) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => transport.close(),
  };
}
