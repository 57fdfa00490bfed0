import { createHash } from 'node:crypto';
import type { AppLogger } from '@broker-events/observability';
import type { SmtpMailer } from '../smtp/smtp.mailer';
import { plain } from '../templates/safe-text';
import type { SummaryBatch, SummaryBuffer } from './summary-buffer';

export interface SummaryOptions {
  from: string;
  /** Send an address's summary once nothing was added for it for this long (the backlog drained). */
  quietMs: number;
  /** …or once its oldest entry waited this long (a backlog that keeps coming). */
  maxWaitMs: number;
  /** How often to look. */
  tickMs: number;
  /** Events listed one per line in a mail; the rest are counted (a mail stays small whatever the backlog). */
  maxListed: number;
}

/**
 * Sends one summary mail per address for the old events waiting in the buffer, then removes what it covered.
 * One replica sends at a time (`SummaryBuffer.exclusively`). The Message-ID is derived from the address and the
 * batch, so a crash between the send and the removal sends the same mail again with the same Message-ID (mail
 * systems drop it as a duplicate).
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
    const sent = await this.buffer.exclusively(() => this.sendEach());
    if (!sent) this.logger.debug('another replica is sending email summaries');
  }

  private async sendEach(): Promise<void> {
    const { quietMs, maxWaitMs, maxListed } = this.options;
    for (const address of await this.buffer.due(quietMs, maxWaitMs, Date.now())) {
      const batch = await this.buffer.claim(address, Date.now(), maxListed);
      if (!batch) continue;
      const mail = renderSummary(batch);
      const id = createHash('sha256').update(`${address}\n${batch.claimedAt}\n${batch.count}`).digest('hex');
      await this.mailer.send({
        from: this.options.from,
        to: address,
        subject: mail.subject,
        text: mail.text,
        html: `<pre>${escapeHtml(mail.text)}</pre>`,
        messageId: `<summary-${id.slice(0, 40)}@${this.domain}>`,
        headers: { 'X-Altinn-Summary-Count': String(batch.count) },
      });
      await this.buffer.remove(address, batch.claimedAt);
      this.logger.info({ address, events: batch.count, listed: batch.listed.length }, 'email summary sent');
    }
  }
}

/**
 * A plain-text summary, bilingual as the ops routes read both: totals, the count per event type, then the
 * oldest events one per line, and how many more were not listed.
 */
export function renderSummary(batch: SummaryBatch): { subject: string; text: string } {
  const { count, transfers, listed } = batch;
  const subject = `Altinn Formidling: ${count} hendelser / events for ${transfers} overføringer / transfers (samlet / summary)`;
  const lines = listed.map(
    (e) =>
      `${plain(e.eventTime ?? '-', 40)}  ${plain(e.type, 60)}  ${plain(e.fileTransferId ?? '-', 60)}  ${plain(e.resource ?? '-', 120)}`,
  );
  const rest = count - listed.length;
  const text = [
    `Disse ${count} hendelsene var eldre enn grensen da de ble lest, og samles her i stedet for én e-post hver.`,
    `These ${count} events were older than the limit when they were read and are listed here instead of one mail each.`,
    '',
    `Tid / time: ${plain(batch.firstEventTime ?? '-', 40)} – ${plain(batch.lastEventTime ?? '-', 40)}`,
    'Per type:',
    ...batch.byType.map((t) => `  ${String(t.count).padStart(8)}  ${plain(t.type, 60)}`),
    '',
    'time  type  file transfer  resource',
    ...lines,
    ...(rest > 0
      ? [
          `… og ${rest} til, ikke listet her (se arkivet eller konsollet).`,
          `… and ${rest} more, not listed here (see the archive or the console).`,
        ]
      : []),
    '',
  ].join('\n');
  return { subject, text };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
