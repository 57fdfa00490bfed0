import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AltinnCloudEvent,
  eventTypeInfo,
  type Violation,
  TOPICS,
  fileTransferId,
  parseCloudEvent,
  quarantineRecord,
  toKafkaRecord,
} from '@broker-events/contracts';
import { EventProducer } from '@broker-events/messaging';
import { APP_LOGGER, type AppLogger, SpanKind, withSpan } from '@broker-events/observability';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../gateway.metrics';
import { DEDUP_STORE } from '../gateway.tokens';
import { type DedupStore, dedupKey } from './dedup.store';
import { BATCH_CONTENT_TYPE } from './media-types';

/** The "source" under which invalid bodies are remembered in the duplicate window (by their SHA-256). */
const QUARANTINE_SOURCE = 'urn:broker-events:quarantine';

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

type Settled = 'published' | 'duplicate';

/** Another replica held the claim on an event for longer than the publish timeout. */
class ClaimPendingError extends Error {
  constructor(eventId: string) {
    super(`event ${eventId} is claimed by another replica that has not finished publishing it`);
  }
}

interface Accepted {
  event: AltinnCloudEvent;
  canonicalType: string;
  handshake: boolean;
}

/**
 * What happens to one webhook body: parse → validate (all or nothing) → drop handshakes → per event: join a
 * publish in flight here, or claim it in the duplicate window → publish (acks=all) → mark it published.
 * Invalid bodies are kept on the quarantine topic before the 400 is sent.
 */
@Injectable()
export class WebhookService {
  /** Events being settled here, per dedup key, so concurrent deliveries of one event share one write. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    @Inject(DEDUP_STORE) private readonly dedup: DedupStore,
    private readonly producer: EventProducer,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** One webhook request, in a server span when tracing is on. */
  handle(delivery: Delivery): Promise<DeliveryResult> {
    return withSpan('POST /altinn/events', { kind: SpanKind.SERVER }, async (span) => {
      const result = await this.handleDelivery(delivery);
      span?.setAttribute('broker_events.outcome', result.kind);
      return result;
    });
  }

  private async handleDelivery(delivery: Delivery): Promise<DeliveryResult> {
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

    // Each distinct event settles once per process: a delivery of an event already being published here
    // joins that publish (no store round trip), and the key is remembered before the in-flight entry goes.
    const deadline = Date.now() + this.config.PUBLISH_TIMEOUT_MS;
    const seenHere = new Set<string>();
    const settles = toPublish.map((accepted): Promise<Settled> => {
      const key = dedupKey(accepted.event.source, accepted.event.id);
      if (seenHere.has(key)) return Promise.resolve('duplicate');
      seenHere.add(key);
      const joined = this.inFlight.get(key);
      if (joined) return joined.then(() => 'duplicate');
      const settle = this.settle(key, accepted, deadline);
      const entry = settle.then(() => undefined);
      this.inFlight.set(key, entry);
      const forget = () => {
        if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
      };
      entry.then(forget, forget);
      return settle;
    });
    const outcomes = await Promise.allSettled(settles);

    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) {
      const error: unknown = failure.reason;
      const pending = error instanceof ClaimPendingError;
      this.logger.warn(
        { err: String(error), eventIds: toPublish.map((e) => e.event.id) },
        pending
          ? 'another replica is still publishing this event; answering 503 so the sender retries'
          : 'Kafka did not acknowledge; answering 503',
      );
      for (const e of toPublish)
        this.metrics.events.inc({ outcome: 'kafka_unavailable', type: metricType(e.canonicalType) });
      return { kind: 'kafka-unavailable', type: typeLabel(events) };
    }

    let published = 0;
    outcomes.forEach((o, i) => {
      const accepted = toPublish[i];
      if (o.status === 'fulfilled' && o.value === 'published') {
        published++;
        this.count(accepted, 'published', 'event published');
      } else {
        this.count(accepted, 'duplicate', 'duplicate event answered without a second publish');
      }
    });
    const duplicates = toPublish.length - published;
    if (duplicates > 0) this.metrics.duplicates.inc(duplicates);
    return {
      kind: 'published',
      published,
      duplicates,
      handshakes: handshakes.length,
      type: typeLabel(events),
    };
  }

  /**
   * One event into Kafka at most once per window: claim it (atomic across replicas), publish, then mark it
   * published; a failed publish gives the claim back. While another replica holds the claim, ask again
   * until it settles or `deadline` passes. Resolves only once the event is in Kafka.
   */
  private async settle(key: string, accepted: Accepted, deadline: number): Promise<Settled> {
    let waited = false;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const state = await this.dedup.claim(key);
      if (state === 'published') {
        if (waited) this.metrics.dedupPending.inc({ outcome: 'duplicate' });
        return 'duplicate';
      }
      if (state === 'claimed') {
        try {
          await this.publish(accepted);
        } catch (error) {
          await this.dedup.release(key);
          throw error;
        }
        await this.dedup.published(key);
        if (waited) this.metrics.dedupPending.inc({ outcome: 'published' });
        return 'published';
      }
      if (Date.now() + pause > deadline) {
        this.metrics.dedupPending.inc({ outcome: 'timeout' });
        throw new ClaimPendingError(accepted.event.id);
      }
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** The event's record, in a producer span whose trace context travels in the record (`ce_traceparent`). */
  private publish(accepted: Accepted): Promise<void> {
    const { event, canonicalType } = accepted;
    // An event that brings its own trace context (the extension) keeps it; otherwise it continues ours.
    return this.producer.publish([toKafkaRecord(event, canonicalType)], {
      topic: TOPICS.events,
      attributes: { 'cloudevents.event_id': event.id, 'cloudevents.event_type': canonicalType },
    });
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

  /**
   * Keeps an invalid body on the quarantine topic once per window: Altinn retries every non-2xx answer
   * (about 12 times over 1.5 days), and each retry of the same bytes is answered with the same 400 and
   * counted as a repeat, not quarantined again.
   */
  private async quarantine(delivery: Delivery, violations: Violation[]): Promise<DeliveryResult> {
    const invalid = { kind: 'invalid', violations, type: '' } as const;
    const key = dedupKey(QUARANTINE_SOURCE, hash('sha256', delivery.body, 'base64url'));
    if ((await this.dedup.claim(key)) !== 'claimed') {
      this.metrics.quarantineRepeats.inc();
      this.logger.debug({ bytes: delivery.body.length }, 'invalid body already quarantined; not kept again');
      return invalid;
    }
    const record = quarantineRecord(delivery.body, violations, {
      receivedAt: new Date().toISOString(),
      contentType: delivery.contentType,
      remoteAddress: delivery.remoteAddress,
    });
    try {
      await this.producer.publish([record]);
    } catch (error) {
      await this.dedup.release(key);
      // Not kept anywhere yet: ask the sender to retry rather than lose the body.
      this.logger.warn({ err: String(error) }, 'could not quarantine an invalid body; answering 503');
      return { kind: 'kafka-unavailable', type: '' };
    }
    await this.dedup.published(key);
    this.metrics.quarantined.inc();
    this.logger.info(
      { violations: violations.slice(0, 20), bytes: delivery.body.length },
      'invalid body quarantined',
    );
    return invalid;
  }
}
