import type { Violation } from '@broker-events/contracts';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { CoalescingPublisher } from '../publisher';
import { ensureTopics } from '../topics-admin';
import { type PipelineLogger, SILENT_LOGGER } from './dispatch-hooks';
import { headersToStrings } from './delivery-headers';
import { parkedRecord } from './parked-record';
import { DEFAULT_RETRY_POLICY } from './backoff';
import { type ConsumerSettings, consumerConfig } from './kafka-transport';

export type RecordParse<T> = { ok: true; value: T } | { ok: false; violations: Violation[] };

export interface JsonRecordConsumerOptions<T> extends ConsumerSettings {
  kafka: Kafka;
  /** The consumer name: names the dead-letter topic a bad record goes to (`deadLetterTopic`). */
  consumer: string;
  topic: string;
  /** Where records that are not valid JSON or fail `parse` are parked (acks=all), as the pipeline parks bad events. */
  deadLetterTopic: string;
  /** Validates one record's value (already JSON.parse'd). */
  parse(value: unknown): RecordParse<T>;
  /**
   * Stores every valid record of one fetched batch. Must be idempotent: after a crash or a rebalance the batch is
   * read again. A rejection is retried (with backoff) until it succeeds or the consumer stops; offsets are
   * committed only after it resolved.
   */
  handle(values: T[]): Promise<void>;
  fromBeginning?: boolean;
  createTopics?: { partitions: number; replicationFactor: number };
  log?: PipelineLogger;
}

/**
 * A plain JSON-record consumer for side topics that carry no CloudEvents (TOPICS.deliveries): read a batch,
 * dead-letter the records that fail validation, hand the rest to `handle` in one call, then commit. At least
 * once; `handle` makes it exactly-once in effect by upserting.
 */
export class JsonRecordConsumer<T> {
  private consumer?: Consumer;
  private readonly publisher: CoalescingPublisher;
  private readonly log: PipelineLogger;
  private joined = false;
  private stopping = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: JsonRecordConsumerOptions<T>) {
    this.publisher = new CoalescingPublisher(o.kafka, { lingerMs: 0, timeoutMs: 10_000 });
    this.log = o.log ?? SILENT_LOGGER;
  }

  isReady(): boolean {
    return this.joined && !this.stopping;
  }

  async start(): Promise<void> {
    const { o } = this;
    const create = o.createTopics;
    if (create)
      await ensureTopics(
        o.kafka,
        [o.topic, o.deadLetterTopic].map((topic) => ({ topic, ...create })),
      );
    await this.publisher.connect();
    const consumer = o.kafka.consumer(consumerConfig(o));
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => (this.joined = true));
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'record consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [o.topic], fromBeginning: o.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.log.info({ topic: o.topic, groupId: o.groupId }, 'record consumer started');
  }

  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    try {
      await this.consumer?.disconnect();
    } catch (error) {
      this.log.warn({ err: error }, 'record consumer disconnect failed');
    }
    await this.publisher.close();
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const ticker = setInterval(() => void payload.heartbeat().catch(() => undefined), 1_000);
    try {
      const valid: T[] = [];
      const bad = [];
      for (const m of batch.messages) {
        const result = this.parseValue(m.value);
        if (result.ok) valid.push(result.value);
        else {
          const now = new Date();
          const reason = result.violations.map((v) => `${v.path || '(root)'}: ${v.reason}`).join('; ');
          bad.push(
            parkedRecord({
              consumer: this.o.consumer,
              to: 'dlq',
              topic: this.o.deadLetterTopic,
              key: m.key,
              value: m.value,
              headers: headersToStrings(m.headers),
              history: {
                attempts: 1,
                rounds: 0,
                originalTopic: batch.topic,
                originalPartition: batch.partition,
                originalOffset: m.offset,
              },
              failure: { kind: 'permanent', message: `invalid record: ${reason}` },
              attempts: 1,
              kind: 'invalid',
              policy: DEFAULT_RETRY_POLICY,
              now,
            }),
          );
        }
      }
      if (bad.length > 0) {
        await this.publisher.publish(bad);
        this.log.warn(
          { topic: batch.topic, partition: batch.partition, count: bad.length },
          'dead-lettered invalid records',
        );
      }
      // Stopped before the batch was stored: leave its offsets, the next reader gets it again.
      if (!(await this.handleUntilDone(valid))) return;
      const last = batch.messages.at(-1);
      if (last) {
        payload.resolveOffset(last.offset);
        await payload.commitOffsetsIfNecessary();
      }
    } finally {
      clearInterval(ticker);
    }
  }

  /** Retries `handle` with a capped backoff until it succeeds (true) or the consumer stops (false). */
  private async handleUntilDone(values: T[]): Promise<boolean> {
    if (values.length === 0) return true;
    for (let attempt = 1; !this.abort.signal.aborted; attempt++) {
      try {
        await this.o.handle(values);
        return true;
      } catch (error) {
        const wait = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8));
        this.log.warn({ err: error, attempt, waitMs: wait }, 'storing records failed; will retry');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.abort.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
      }
    }
    return false;
  }

  private parseValue(value: Buffer | null): RecordParse<T> {
    if (value === null || value.length === 0)
      return { ok: false, violations: [{ path: '', reason: 'the record has no value' }] };
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch {
      return { ok: false, violations: [{ path: '', reason: 'the value is not JSON' }] };
    }
    return this.o.parse(json);
  }
}
