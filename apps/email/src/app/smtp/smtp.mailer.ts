import { PermanentDeliveryError, TransientDeliveryError } from '@broker-events/messaging';
import nodemailer, { type Transporter } from 'nodemailer';
import type { EmailConfig } from '../config/email.config';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

/** A pooled nodemailer SMTP transport whose failures come out classified for the pipeline. */
export class SmtpMailer {
  private readonly transport: Transporter;

  constructor(config: EmailConfig) {
    this.transport = nodemailer.createTransport({
      pool: true,
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE,
      requireTLS: !config.SMTP_SECURE && config.SMTP_STARTTLS === 'required',
      ignoreTLS: !config.SMTP_SECURE && config.SMTP_STARTTLS === 'never',
      tls: { rejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED },
      auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASSWORD ?? '' } : undefined,
      maxConnections: config.SMTP_POOL_MAX_CONNECTIONS,
      maxMessages: config.SMTP_POOL_MAX_MESSAGES,
      connectionTimeout: config.SMTP_TIMEOUT_MS,
      greetingTimeout: config.SMTP_TIMEOUT_MS,
      socketTimeout: config.SMTP_TIMEOUT_MS,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transport.sendMail({ ...mail, disableFileAccess: true, disableUrlAccess: true });
    } catch (error) {
      throw classifySmtpError(error);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * 5xx replies are permanent (the address or message was refused), except authentication failures (535/EAUTH:
 * a configuration problem an operator fixes, after which the event should still go out). 4xx replies,
 * timeouts and connection errors are transient.
 */
export function classifySmtpError(error: unknown): Error {
  const e = error as { responseCode?: unknown; code?: unknown; message?: unknown };
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = `SMTP ${status ?? code ?? 'error'}: ${typeof e.message === 'string' ? e.message : String(error)}`;
  if (status !== undefined && status >= 500 && status < 600 && code !== 'EAUTH')
    return new PermanentDeliveryError(message);
  return new TransientDeliveryError(message);
}
