import { createHash } from 'node:crypto';
import type { AppLogger } from '@broker-events/observability';
import type { SmtpMailer } from '../smtp/smtp.mailer';
import { plain } from '../templates/safe-text';
import type { PendingEntry, SummaryBuffer } from './summary-buffer';

export interface SummaryOptions {
  from: string;
  /** Send an address's summary once nothing was added for it for this long (the backlog drained). */
  quietMs: number;
  /** …or once its oldest entry waited this long (a backlog that keeps coming). */
  maxWaitMs: number;
  /** How often to look. */
  tickMs: number;
}

/**
 * Sends one summary mail per address for the old events waiting in the buffer, then removes what it listed.
 * The Message-ID is derived from the address and the listed events, so a crash between the send and the
 * removal sends the same mail again with the same Message-ID (mail systems drop it as a duplicate).
 */
export class SummarySender {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly domain: string;

  constructor(
    private readonly buffer: SummaryBuffer,
    private readonly mailer: SmtpMailer,
    private readonly options: SummaryOptions,
    private readonly logger: AppLogger,
  ) {
    const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(options.from);
    this.domain = match ? match[1] : 'broker-events.invalid';
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One look: sends every due summary (never two looks at once). */
  tick(): Promise<void> {
    this.running ??= this.sendDue()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not send email summaries'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async sendDue(): Promise<void> {
    const { quietMs, maxWaitMs } = this.options;
    for (const address of await this.buffer.due(quietMs, maxWaitMs, Date.now())) {
      const entries = await this.buffer.pending(address);
      if (entries.length === 0) continue;
      const mail = renderSummary(entries);
      const digest = createHash('sha256').update(address);
      for (const e of entries) digest.update(`\n${e.source}\n${e.eventId}`);
      await this.mailer.send({
        from: this.options.from,
        to: address,
        subject: mail.subject,
        text: mail.text,
        html: `<pre>${escapeHtml(mail.text)}</pre>`,
        messageId: `<summary-${digest.digest('hex').slice(0, 40)}@${this.domain}>`,
        headers: { 'X-Altinn-Summary-Count': String(entries.length) },
      });
      await this.buffer.remove(address, entries);
      this.logger.info({ address, events: entries.length }, 'email summary sent');
    }
  }
}

/** A plain-text list of the transfers' events, oldest first (bilingual subject, as the ops routes read both). */
export function renderSummary(entries: PendingEntry[]): { subject: string; text: string } {
  const transfers = new Set(entries.map((e) => e.fileTransferId ?? e.eventId)).size;
  const subject = `Altinn Formidling: ${entries.length} hendelser / events for ${transfers} overføringer / transfers (samlet / summary)`;
  const lines = entries.map(
    (e) =>
      `${plain(e.eventTime ?? '-', 40)}  ${plain(e.type, 60)}  ${plain(e.fileTransferId ?? '-', 60)}  ${plain(e.resource ?? '-', 120)}`,
  );
  const text = [
    `Disse ${entries.length} hendelsene var eldre enn grensen da de ble lest, og samles her i stedet for én e-post hver.`,
    `These ${entries.length} events were older than the limit when they were read and are listed here instead of one mail each.`,
    '',
    'time  type  file transfer  resource',
    ...lines,
    '',
  ].join('\n');
  return { subject, text };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
