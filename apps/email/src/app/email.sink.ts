import { createHash } from 'node:crypto';
import { type AltinnCloudEvent, attributesFromEvent } from '@broker-events/contracts';
import {
  type DeliveryResult,
  type IdempotencyStore,
  PermanentDeliveryError,
  type PipelineMessageInfo,
  type Sink,
  TransientDeliveryError,
  classifyFailure,
  matchingRoutes,
} from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';
import { Counter, type Registry } from 'prom-client';
import type { EmailRoute } from './config/email.config';
import type { SmtpMailer } from './smtp/smtp.mailer';
import type { Language } from './templates/email-templates';
import { renderEmail } from './templates/render-email';
import { plain } from './templates/safe-text';
import type { SummaryBuffer } from './summary/summary-buffer';

const LANGUAGE_ORDER: Language[] = ['nb', 'en'];

/**
 * Sends one mail per routed address (so recipients never see each other), in the languages of the rules that
 * matched. Each address is remembered once its mail was accepted, so a retry after a partial failure only
 * sends to the addresses that did not get it.
 */
export class EmailSink implements Sink {
  private readonly sent: Counter<'consumer'>;
  private readonly domain: string;

  constructor(
    private readonly routes: readonly EmailRoute[],
    private readonly mailer: SmtpMailer,
    private readonly store: IdempotencyStore,
    private readonly from: string,
    registry: Registry,
    private readonly logger: AppLogger,
    /** Old events (read more than `afterMs` after their time) go to the summary buffer instead. */
    private readonly summary?: { buffer: SummaryBuffer; afterMs: number },
  ) {
    this.sent =
      (registry.getSingleMetric('email_messages_sent_total') as Counter<'consumer'> | undefined) ??
      new Counter({
        name: 'email_messages_sent_total',
        help: 'Mails the SMTP server accepted (one per address).',
        labelNames: ['consumer'],
        registers: [registry],
      });
    const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
    this.domain = match ? match[1] : 'broker-events.invalid';
  }

  /** Address → languages, merged over every matching rule. */
  recipients(event: AltinnCloudEvent): Map<string, Language[]> {
    const out = new Map<string, Set<Language>>();
    for (const route of matchingRoutes(this.routes, attributesFromEvent(event))) {
      for (const address of route.target.to) {
        const langs = out.get(address) ?? new Set<Language>();
        route.target.languages.forEach((l) => langs.add(l));
        out.set(address, langs);
      }
    }
    return new Map([...out].map(([a, langs]) => [a, LANGUAGE_ORDER.filter((l) => langs.has(l))]));
  }

  async deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<DeliveryResult> {
    const key = { source: event.source, id: event.id };
    const failures: { address: string; error: unknown }[] = [];
    const recipients = this.recipients(event);
    const time = event.time ? Date.parse(event.time) : Number.NaN;
    if (this.summary && this.summary.afterMs > 0 && Date.now() - time > this.summary.afterMs) {
      const addresses = [...recipients.keys()];
      await this.summary.buffer.add(
        addresses.map((address) => ({
          address,
          source: event.source,
          eventId: event.id,
          type: info.canonicalType,
          fileTransferId: event.resourceinstance ?? null,
          resource: event.resource ?? null,
          eventTime: event.time ?? null,
        })),
      );
      return { detail: `summarised in mail to ${addresses.join(', ')}` };
    }
    for (const [address, languages] of recipients) {
      const perAddress = `${info.consumer}>${address}`;
      if (await this.store.seen(perAddress, key)) continue;
      const mail = renderEmail(event, info.canonicalType, languages);
      try {
        await this.mailer.send({
          from: this.from,
          to: address,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: `<${createHash('sha256').update(`${event.source}\n${event.id}\n${address}`).digest('hex').slice(0, 40)}@${this.domain}>`,
          headers: {
            'X-Altinn-Event-Type': plain(info.canonicalType, 100),
            'X-Altinn-File-Transfer-Id': plain(event.resourceinstance, 100),
          },
        });
        this.sent.inc({ consumer: info.consumer });
        await this.store.remember(perAddress, key);
      } catch (error) {
        failures.push({ address, error });
      }
    }
    if (failures.length === 0) return { detail: `emailed to ${[...recipients.keys()].join(', ')}` };
    const classified = failures.map((f) => ({ address: f.address, ...classifyFailure(f.error) }));
    this.logger.warn(
      {
        eventId: event.id,
        failures: classified.map((c) => ({ address: c.address, kind: c.kind, error: c.message })),
      },
      'some mails were not accepted',
    );
    const summary = classified.map((c) => `${c.address}: ${c.message}`).join('; ');
    if (classified.some((c) => c.kind === 'transient')) throw new TransientDeliveryError(summary);
    throw new PermanentDeliveryError(summary);
  }
}
