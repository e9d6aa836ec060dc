// The mail port (ADR 0040): invitation and reset links go out by SMTP (src/mail/smtp.ts, nodemailer), never from
// inside a request's transaction. The words of each mail are here, once.

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  /** Throws when the server did not accept the message (the caller retries later). */
  send(message: MailMessage): Promise<void>;
}

export function linkMail(purpose: 'invite' | 'reset', to: string, url: string, tenantName: string): MailMessage {
  if (purpose === 'invite') {
    return {
      to,
      subject: `You are invited to sign in with ${tenantName}`,
      text: `You have been given an account with ${tenantName}.\n\nOpen this link to choose a password and activate it:\n${url}\n\nThe link works once and expires in 7 days. If you did not expect this mail, ignore it.\n`,
    };
  }
  return {
    to,
    subject: `Reset your ${tenantName} password`,
    text: `Someone asked to reset the password of your ${tenantName} account.\n\nOpen this link to choose a new password:\n${url}\n\nThe link works once and expires in 1 hour. If you did not ask for this, ignore this mail: your password stays as it is.\n`,
  };
}
