import nodemailer from 'nodemailer';

export interface Email {
  subject: string;
  html: string;
  text: string;
}

export interface Mailer {
  send(email: Email): Promise<void>;
  close(): void;
}

/** A delivery that failed; `permanent` when retrying cannot help until someone fixes `fix`. */
export class EmailError extends Error {
  override name = 'EmailError';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** What the operator should do about an SMTP failure, and whether a retry can help. Pure. */
export function explainSmtpError(err: { code?: string; responseCode?: number; message?: string }): EmailError {
  const said = err.message ?? String(err);
  if (err.code === 'EAUTH' || err.responseCode === 535 || err.responseCode === 530) {
    return new EmailError(`The mail server refused the login (${said}): check the user and password in SMTP_URL.`, true);
  }
  if (err.code === 'EENVELOPE' || (err.responseCode !== undefined && err.responseCode >= 550 && err.responseCode < 560)) {
    return new EmailError(`The mail server refused the sender or a recipient (${said}): check REPORT_EMAIL_TO and REPORT_EMAIL_FROM.`, true);
  }
  if (err.code === 'ECONNECTION' || err.code === 'ETIMEDOUT' || err.code === 'ESOCKET' || err.code === 'EDNS') {
    return new EmailError(`Could not reach the mail server (${said}): check the host and port in SMTP_URL and that it is reachable; will retry.`, false);
  }
  if (err.code === 'ETLS') return new EmailError(`TLS with the mail server failed (${said}): use smtps:// for port 465 and smtp:// for 25/587.`, true);
  return new EmailError(`Sending the report email failed (${said}); will retry.`, (err.responseCode ?? 0) >= 500);
}

/** An SMTP mailer over nodemailer, for the recipients in REPORT_EMAIL_TO. */
export function smtpMailer(smtpUrl: string, from: string, to: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl, { from });
  const recipients = to.split(',').map((a) => a.trim()).filter(Boolean);
  return {
    async send(email) {
      try {
        await transport.sendMail({ from, to: recipients, subject: email.subject, html: email.html, text: email.text });
      } catch (err) {
        throw explainSmtpError(err as { code?: string; responseCode?: number; message?: string });
      }
    },
    close() {
      transport.close();
    },
  };
}
