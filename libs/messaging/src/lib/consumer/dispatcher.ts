import {
  type AltinnCloudEvent,
  type DeliveryOutcome,
  type DeliveryReport,
  type EventPredicate,
  HEADERS,
  type KafkaHeadersIn,
  TOPICS,
  type KafkaRecord,
  attributesFromHeaders,
  fromKafkaRecord,
} from '@broker-events/contracts';
import { SpanKind, contextFromTraceparent, withSpan } from '@broker-events/observability';
import { type RetryPolicy, backoffMs, sleep } from './backoff';
import { type ClassifiedFailure, classifyFailure } from './delivery-errors';
import { type DeliveryHistory, headersToStrings, historyOf } from './delivery-headers';
import type { DispatchHooks, Outcome, RecordRef } from './dispatch-hooks';
import type { IdempotencyStore } from './idempotency/idempotency-store';
import { type ParkKind, parkedRecord } from './parked-record';
import type { RecordCoordinates } from '../publisher';
import type { DeliveryResult, PipelineMessageInfo, Sink } from './sink';

/** One record as read from a source or retry topic (kafkajs' KafkaMessage fits). */
export interface InboundRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: KafkaHeadersIn;
  timestamp: string;
}

export interface DispatcherOptions {
  consumer: string;
  groupId: string;
  sink: Sink;
  /** The consumer's filter, on headers only. */
  accept: EventPredicate;
  policy: RetryPolicy;
  /** Skip events this consumer already delivered. */
  idempotency?: IdempotencyStore;
  retryTopic: string;
  deadLetterTopic: string;
  /**
   * Writes a record to the retry or dead-letter topic; resolves once Kafka acknowledged it (acks=all), with
   * where it was written.
   */
  publish(record: KafkaRecord): Promise<RecordCoordinates | undefined>;
  /**
   * Publishes a delivery report (TOPICS.deliveries); awaited before the record's outcome is returned (so before
   * its offset is committed), and never rejects: a report that could not be written is logged and counted by
   * the reporter. Unset: no reports.
   */
  report?(report: DeliveryReport): Promise<void>;
  /** Report records the filter skipped too (`skipped`, `filter: not for this consumer`). */
  reportFiltered?: boolean;
  hooks: DispatchHooks;
  /** Aborted on shutdown: in-place backoff ends early and the record is left for the next reader. */
  signal: AbortSignal;
}

/**
 * Turns one record into an outcome, in one explicit sequence (Knative's dispatcher as the model):
 *
 *   1 filter (headers only) → 2 validate → 3 skip duplicates → 4 deliver (in-place retries with backoff)
 *   → 5 park: the retry topic while rounds are left, else the dead-letter topic.
 *
 * Each step reports through a named hook (metrics, logs). It resolves once the record needs nothing more (its
 * offset may be committed), or with `interrupted` on shutdown; it rejects only when a record could not be
 * parked, so that it is read again.
 */
export class Dispatcher {
  constructor(private readonly o: DispatcherOptions) {}

  /**
   * One record in a consumer span that continues the trace the record carries (`ce_traceparent`, written by
   * the gateway and kept through the retry and dead-letter topics), so a retry joins the event's trace.
   */
  dispatch(topic: string, partition: number, record: InboundRecord, fromRetry: boolean): Promise<Outcome> {
    const headers = headersToStrings(record.headers);
    return withSpan(
      `process ${this.o.consumer}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromTraceparent(headers[HEADERS.traceparent]),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.consumer.group.name': this.o.groupId,
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(record.offset),
        },
      },
      async (span) => {
        const outcome = await this.run(topic, partition, record, headers, fromRetry);
        span?.setAttribute('broker_events.outcome', outcome);
        return outcome;
      },
    );
  }

  private async run(
    topic: string,
    partition: number,
    record: InboundRecord,
    headers: Record<string, string>,
    fromRetry: boolean,
  ): Promise<Outcome> {
    const { consumer, hooks, policy } = this.o;
    const started = process.hrtime.bigint();
    const ref: RecordRef = {
      consumer,
      topic,
      partition,
      offset: record.offset,
      eventId: headers[HEADERS.id],
      type: headers[HEADERS.type],
    };
    hooks.received(ref);
    const history = historyOf(headers, { topic, partition, offset: record.offset }, fromRetry);
    const finish = (outcome: Exclude<Outcome, 'interrupted'>): Outcome => {
      hooks.finished(ref, outcome, Number(process.hrtime.bigint() - started) / 1e9);
      return outcome;
    };
    const park = (to: 'retry' | 'dlq', failure: ClassifiedFailure, attempts: number, kind: ParkKind) =>
      this.park(ref, record, headers, history, { to, failure, attempts, kind });
    // One report per sink call (and per skip or invalid record), about the event as it came in; none about
    // records of a delivery-report topic (no report loops).
    let about: Pick<DeliveryReport, 'eventSource' | 'eventId' | 'eventType' | 'fileTransferId'> = {
      eventSource: headers[HEADERS.source] ?? '',
      eventId: headers[HEADERS.id] ?? `${topic}/${partition}/${record.offset}`,
      eventType: headers[HEADERS.type] ?? '',
      fileTransferId: headers[HEADERS.resourceinstance] ?? (record.key ? record.key.toString('utf8') : null),
    };
    const report = async (
      outcome: DeliveryOutcome,
      attempt: number,
      r: { detail?: string; error?: string; deadLetter?: RecordCoordinates },
    ): Promise<void> => {
      if (!this.o.report || history.originalTopic === TOPICS.deliveries) return;
      await this.o.report({
        consumer,
        ...about,
        outcome,
        detail: r.detail ?? null,
        error: r.error ?? null,
        attempt: Math.max(1, attempt),
        deadLetter: r.deadLetter
          ? { topic: r.deadLetter.topic, partition: r.deadLetter.partition, offset: r.deadLetter.offset }
          : null,
        at: new Date().toISOString(),
      });
    };

    // 1. filter, on headers alone
    if (!this.o.accept(attributesFromHeaders(record.headers))) {
      hooks.skipped(ref, 'filter');
      if (this.o.reportFiltered)
        await report('skipped', history.attempts + 1, { error: 'filter: not for this consumer' });
      return finish('skipped');
    }

    // 2. validate: an invalid record can never be delivered, so it is dead-lettered at once
    const parsed = fromKafkaRecord({ key: record.key, value: record.value, headers: record.headers });
    if (!parsed.ok) {
      const violations = parsed.violations.slice(0, 5);
      const reason = violations.map((v) => `${v.path || '(record)'} ${v.reason}`).join('; ');
      const message = `invalid event: ${reason}`;
      const at = await park('dlq', { kind: 'permanent', message }, history.attempts, 'invalid');
      hooks.deadLettered(ref, 'invalid', history.attempts, message, violations);
      await report('dead-lettered', history.attempts + 1, { error: message, deadLetter: at });
      return finish('dead-lettered');
    }
    const event = parsed.event;
    about = {
      eventSource: event.source,
      eventId: event.id,
      eventType: parsed.canonicalType,
      fileTransferId: event.resourceinstance ?? null,
    };
    const eventKey = { source: event.source, id: event.id };
    const store = this.o.idempotency;

    let attempt = history.attempts;
    let last: ClassifiedFailure | undefined;
    for (let call = 1; call <= policy.inPlaceAttempts; call++) {
      if (this.o.signal.aborted) return 'interrupted';
      attempt++;
      try {
        // 3. skip what this consumer already delivered
        if (store && call === 1 && (await store.seen(consumer, eventKey))) {
          hooks.skipped(ref, 'duplicate');
          await report('skipped', attempt, { error: 'duplicate: already delivered' });
          return finish('duplicate');
        }
        // 4. deliver
        const result = await this.deliver(event, {
          consumer,
          topic,
          partition,
          offset: record.offset,
          originalTopic: history.originalTopic,
          originalPartition: history.originalPartition,
          originalOffset: history.originalOffset,
          key: record.key ? record.key.toString('utf8') : null,
          headers,
          timestamp: record.timestamp,
          receivedAt: new Date(),
          attempt,
          canonicalType: parsed.canonicalType,
        });
        if (store)
          await store.remember(consumer, eventKey).catch((e: unknown) => hooks.notRemembered(ref, e));
        hooks.delivered(ref, attempt);
        await report('delivered', attempt, { detail: detailOf(result) });
        return finish('delivered');
      } catch (error) {
        last = classifyFailure(error);
        if (last.kind === 'permanent' || call === policy.inPlaceAttempts) break;
        const wait = backoffMs(policy, call, last.retryAfterMs);
        if (last.retryAfterMs !== undefined && last.retryAfterMs > policy.maxBackoffMs) break;
        hooks.retryingInPlace(ref, attempt, last.message, wait);
        await report('retry', attempt, { error: last.message });
        if (!(await sleep(wait, this.o.signal))) return 'interrupted';
      }
    }

    // 5. park: the retry topic while rounds are left, else the dead-letter topic
    const failure = last ?? { kind: 'transient' as const, message: 'delivery failed' };
    if (failure.kind === 'permanent') {
      const at = await park('dlq', failure, attempt, 'permanent');
      hooks.deadLettered(ref, 'permanent', attempt, failure.message);
      await report('dead-lettered', attempt, { error: failure.message, deadLetter: at });
      return finish('dead-lettered');
    }
    if (history.rounds < policy.retryTopicDelaysMs.length) {
      await park('retry', failure, attempt, 'transient');
      hooks.parkedForRetry(ref, attempt, history.rounds + 1, failure.message);
      await report('retry', attempt, { error: failure.message });
      return finish('retry');
    }
    const at = await park('dlq', failure, attempt, 'transient');
    hooks.deadLettered(ref, 'exhausted', attempt, failure.message);
    await report('dead-lettered', attempt, { error: failure.message, deadLetter: at });
    return finish('dead-lettered');
  }

  /** One call of the sink, in a client span (each in-place attempt its own). */
  private deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<void | DeliveryResult> {
    return withSpan(
      `deliver ${info.consumer}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'cloudevents.event_id': event.id,
          'cloudevents.event_type': info.canonicalType,
          'broker_events.attempt': info.attempt,
        },
      },
      () => this.o.sink.deliver(event, info),
    );
  }

  private async park(
    ref: RecordRef,
    record: InboundRecord,
    headers: Record<string, string>,
    history: DeliveryHistory,
    p: { to: 'retry' | 'dlq'; failure: ClassifiedFailure; attempts: number; kind: ParkKind },
  ): Promise<RecordCoordinates | undefined> {
    const topic = p.to === 'retry' ? this.o.retryTopic : this.o.deadLetterTopic;
    const out = parkedRecord({
      ...p,
      consumer: this.o.consumer,
      topic,
      key: record.key,
      value: record.value,
      headers,
      history,
      policy: this.o.policy,
      now: new Date(),
    });
    try {
      return await this.o.publish(out);
    } catch (error) {
      this.o.hooks.parkFailed(ref, topic, error);
      throw error;
    }
  }
}

/** A sink's detail, trimmed to one line of at most 500 characters. */
function detailOf(result: void | DeliveryResult): string | undefined {
  const detail = result && typeof result.detail === 'string' ? result.detail.replace(/\s+/g, ' ').trim() : '';
  if (!detail) return undefined;
  return detail.length > 500 ? `${detail.slice(0, 499)}…` : detail;
}
