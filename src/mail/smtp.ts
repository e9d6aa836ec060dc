// The SMTP adapter of the mail port (ADR 0040): nodemailer on ROSTER_SMTP_URL, From ROSTER_SMTP_FROM. Plain text
// only (no HTML to escape). Connection and send time are bounded so a stuck server cannot hold the outbox.
// nodemailer is loaded with the first message, not at start (ADR 0056).
import type { Transporter } from 'nodemailer';
import type { Mailer } from '../core/credentials/mail.ts';

export function createSmtpMailer(url: string, from: string): Mailer & { close(): void } {
  const parsed = new URL(url);
  parsed.searchParams.set('connectionTimeout', '10000');
  parsed.searchParams.set('greetingTimeout', '10000');
  parsed.searchParams.set('socketTimeout', '20000');
  let transport: Promise<Transporter> | undefined;
  const open = () => {
    transport ??= import('nodemailer').then((m) => m.default.createTransport(parsed.href));
    return transport;
  };
  return {
    async send(message) {
      await (await open()).sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => void transport?.then((t) => t.close()),
  };
}
