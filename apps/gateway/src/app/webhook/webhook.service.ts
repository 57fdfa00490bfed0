import { isUtf8 } from 'node:buffer';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AltinnCloudEvent,
  eventTypeInfo,
  type Violation,
  fileTransferId,
  parseCloudEvent,
  quarantineRecord,
  toKafkaRecord,
  type KafkaRecord,
} from '@broker-events/contracts';
import { APP_LOGGER, type AppLogger } from '@broker-events/observability';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../gateway.metrics';
import { EventPublisherService } from '../publishing/event-publisher.service';
import { type DedupStore, dedupKey } from './dedup.store';

export const DEDUP_STORE = Symbol('DEDUP_STORE');

export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

export interface Delivery {
  body: Buffer;
  /** The media type, lower-cased, without parameters. */
  mediaType: string;
  contentType?: string;
  remoteAddress?: string;
}

export type DeliveryResult =
  | { kind: 'published'; published: number; duplicates: number; handshakes: number; type: string }
  | { kind: 'handshake'; type: string }
  | { kind: 'invalid'; violations: Violation[]; type: string }
  | { kind: 'kafka-unavailable'; type: string };

/**
 * Metric label for a type: known types by name, every other well-formed Broker type as `unknown`, so a
 * sender cannot grow the label set without bound.
 */
export function metricType(canonicalType: string): string {
  return eventTypeInfo(canonicalType) ? canonicalType : 'unknown';
}

/** The `type` label of a request: the canonical type of a single event, `batch` for a batch, '' when unknown. */
function typeLabel(events: Accepted[]): string {
  if (events.length === 1) return metricType(events[0].canonicalType);
  return events.length > 1 ? 'batch' : '';
}

interface Accepted {
  event: AltinnCloudEvent;
  canonicalType: string;
  handshake: boolean;
}

/**
 * What happens to one webhook body: parse → validate (all or nothing) → drop handshakes → fold duplicates
 * → publish (acks=all) → remember. Invalid bodies are kept on the quarantine topic before the 400 is sent.
 */
@Injectable()
export class WebhookService {
  /** Publishes in flight per dedup key, so concurrent retries of one event share one write. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    @Inject(DEDUP_STORE) private readonly dedup: DedupStore,
    private readonly publisher: EventPublisherService,
    private readonly metrics: GatewayMetrics,
  ) {}

  async handle(delivery: Delivery): Promise<DeliveryResult> {
    const parsed = this.parse(delivery);
    if (!parsed.ok) return this.quarantine(delivery, parsed.violations);

    const events = parsed.events;
    const handshakes = events.filter((e) => e.handshake);
    for (const h of handshakes) {
      this.metrics.handshakes.inc();
      this.metrics.events.inc({ outcome: 'handshake', type: metricType(h.canonicalType) });
      this.logger.info(
        { eventId: h.event.id, source: h.event.source },
        'subscription validation handshake answered',
      );
    }
    const toPublish = events.filter((e) => !e.handshake);
    if (toPublish.length === 0) return { kind: 'handshake', type: typeLabel(events) };

    const keys = toPublish.map((e) => dedupKey(e.event.source, e.event.id));
    const seen = await this.dedup.seen(keys);
    const fresh: { accepted: Accepted; key: string; record: KafkaRecord }[] = [];
    const waits: Promise<void>[] = [];
    const duplicates: Accepted[] = [];
    const batchKeys = new Set<string>();
    toPublish.forEach((accepted, i) => {
      const key = keys[i];
      const pending = this.inFlight.get(key);
      if (seen[i] || batchKeys.has(key)) {
        duplicates.push(accepted);
      } else if (pending) {
        duplicates.push(accepted);
        waits.push(pending);
      } else {
        batchKeys.add(key);
        fresh.push({ accepted, key, record: toKafkaRecord(accepted.event, accepted.canonicalType) });
      }
    });

    const write = fresh.length > 0 ? this.publisher.publish(fresh.map((f) => f.record)) : Promise.resolve();
    for (const f of fresh) this.inFlight.set(f.key, write);
    try {
      await write;
      await Promise.all(waits);
    } catch (error) {
      this.logger.warn(
        { err: String(error), eventIds: toPublish.map((e) => e.event.id) },
        'Kafka did not acknowledge; answering 503',
      );
      for (const e of toPublish)
        this.metrics.events.inc({ outcome: 'kafka_unavailable', type: metricType(e.canonicalType) });
      return { kind: 'kafka-unavailable', type: typeLabel(events) };
    } finally {
      for (const f of fresh) if (this.inFlight.get(f.key) === write) this.inFlight.delete(f.key);
    }
    await this.dedup.remember(fresh.map((f) => f.key));

    for (const { accepted } of fresh) this.count(accepted, 'published', 'event published');
    if (duplicates.length > 0) this.metrics.duplicates.inc(duplicates.length);
    for (const accepted of duplicates)
      this.count(accepted, 'duplicate', 'duplicate event answered without a second publish');
    return {
      kind: 'published',
      published: fresh.length,
      duplicates: duplicates.length,
      handshakes: handshakes.length,
      type: typeLabel(events),
    };
  }

  private count(accepted: Accepted, outcome: 'published' | 'duplicate', message: string): void {
    this.metrics.events.inc({ outcome, type: metricType(accepted.canonicalType) });
    this.logger.info(
      {
        eventId: accepted.event.id,
        type: accepted.canonicalType,
        fileTransferId: fileTransferId(accepted.event),
      },
      message,
    );
  }

  private parse(
    delivery: Delivery,
  ): { ok: true; events: Accepted[] } | { ok: false; violations: Violation[] } {
    if (!isUtf8(delivery.body)) {
      return { ok: false, violations: [{ path: '', reason: 'body is not valid UTF-8' }] };
    }
    let json: unknown;
    try {
      json = JSON.parse(delivery.body.toString('utf8'));
    } catch (e) {
      const reason =
        e instanceof RangeError ? 'JSON nested too deeply' : `malformed JSON: ${(e as Error).message}`;
      return { ok: false, violations: [{ path: '', reason: reason.slice(0, 300) }] };
    }
    const batch = delivery.mediaType === BATCH_CONTENT_TYPE;
    if (batch) {
      if (!Array.isArray(json))
        return { ok: false, violations: [{ path: '', reason: 'a batch must be a JSON array' }] };
      if (json.length === 0)
        return { ok: false, violations: [{ path: '', reason: 'a batch must not be empty' }] };
      if (json.length > this.config.BATCH_MAX_EVENTS)
        return {
          ok: false,
          violations: [
            { path: '', reason: `a batch may hold at most ${this.config.BATCH_MAX_EVENTS} events` },
          ],
        };
    }
    const items: unknown[] = batch ? (json as unknown[]) : [json];
    const events: Accepted[] = [];
    const violations: Violation[] = [];
    items.forEach((item, i) => {
      const r = parseCloudEvent(item);
      if (r.ok)
        events.push({ event: r.event, canonicalType: r.canonicalType, handshake: r.kind === 'handshake' });
      else
        for (const v of r.violations)
          violations.push(batch ? { path: v.path ? `[${i}].${v.path}` : `[${i}]`, reason: v.reason } : v);
    });
    return violations.length > 0 ? { ok: false, violations } : { ok: true, events };
  }

  private async quarantine(delivery: Delivery, violations: Violation[]): Promise<DeliveryResult> {
    const record = quarantineRecord(delivery.body, violations, {
      receivedAt: new Date().toISOString(),
      contentType: delivery.contentType,
      remoteAddress: delivery.remoteAddress,
    });
    try {
      await this.publisher.publish([record]);
    } catch (error) {
      // Not kept anywhere yet: ask the sender to retry rather than lose the body.
      this.logger.warn({ err: String(error) }, 'could not quarantine an invalid body; answering 503');
      return { kind: 'kafka-unavailable', type: '' };
    }
    this.metrics.quarantined.inc();
    this.logger.info(
      { violations: violations.slice(0, 20), bytes: delivery.body.length },
      'invalid body quarantined',
    );
    return { kind: 'invalid', violations, type: '' };
  }
}
