import { HEADERS } from '@broker-events/contracts';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { headersToStrings } from './delivery-headers';
import type { PipelineLogger } from './dispatch-hooks';
import { type RunResult, runKeyOrdered } from './key-ordered-scheduler';

/** What the transport runs with; the group and fetch settings are ConsumerSettings (defaults there). */
export interface KafkaTransportOptions extends ConsumerSettings {
  kafka: Kafka;
  sourceTopics: string[];
  /** Read from the earliest record always; each record waits for its due time (`delivery_notbefore`). */
  retryTopic: string;
  /** Where a group without committed offsets starts on the source topics: true = earliest. */
  fromBeginning: boolean;
  /** Records of one partition in flight at once (never two of one key). */
  concurrency: number;
  partitionsConsumedConcurrently: number;
  log: PipelineLogger;
  /** One record, to its end: `done` resolves its offset, `interrupted` leaves it; a rejection stops the batch. */
  handle(topic: string, partition: number, message: KafkaMessage, fromRetry: boolean): Promise<RunResult>;
  /** Records behind the high watermark after each batch. */
  lag?(topic: string, partition: number, lag: number): void;
  /** `group-join`, `rebalancing`, `crash` (for tests and operators). */
  emit(event: string, payload?: unknown): void;
}

/** The group and fetch settings a consumer of this library takes; unset ones get kafkajs's usual values. */
export interface ConsumerSettings {
  groupId: string;
  /** Default 30000. */
  sessionTimeoutMs?: number;
  /** Default 3000. */
  heartbeatIntervalMs?: number;
  /** Longest the broker holds a fetch (kafkajs maxWaitTimeInMs). Default 1000. */
  maxWaitTimeMs?: number;
  /** Bytes the broker gathers before it answers a fetch, up to maxWaitTimeMs (kafkajs minBytes). Default 1. */
  fetchMinBytes?: number;
}

const CONSUMER_DEFAULTS = {
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  maxWaitTimeMs: 1_000,
  fetchMinBytes: 1,
} as const satisfies Omit<Required<ConsumerSettings>, 'groupId'>;

/**
 * The kafkajs consumer config of the pipeline and of JsonRecordConsumer: never creates topics, and retries
 * broker errors 8 times with backoff up to 5 s before the consumer crashes (and kafkajs restarts it).
 */
export function consumerConfig(s: ConsumerSettings): ConsumerConfig {
  const d = CONSUMER_DEFAULTS;
  return {
    groupId: s.groupId,
    sessionTimeout: s.sessionTimeoutMs ?? d.sessionTimeoutMs,
    heartbeatInterval: s.heartbeatIntervalMs ?? d.heartbeatIntervalMs,
    maxWaitTimeInMs: s.maxWaitTimeMs ?? d.maxWaitTimeMs,
    minBytes: s.fetchMinBytes ?? d.fetchMinBytes,
    allowAutoTopicCreation: false,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5_000 },
  };
}

/**
 * The kafkajs side of the pipeline: one consumer in the group, the source topics and the retry topic,
 * `eachBatch` with auto-commit off. A batch is run through the key-ordered scheduler; an offset is resolved
 * only once its record is done, and offsets are committed after every batch. While records run, it heartbeats
 * on a timer; a retry record that is not due yet pauses its partition until it is.
 */
export class KafkaTransport {
  private consumer?: Consumer;
  private joined = false;
  private crashed = false;
  private stopping = false;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: KafkaTransportOptions) {}

  /** In its group and running. */
  isReady(): boolean {
    return this.joined && !this.crashed && !this.stopping;
  }

  async start(): Promise<void> {
    const { o } = this;
    const consumer = o.kafka.consumer(consumerConfig(o));
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      o.log.info({ groupId: o.groupId, assignment: e.payload.memberAssignment }, 'joined consumer group');
      o.emit('group-join', e.payload);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      // Not ready until the group is joined again (kafkajs restarts the consumer when it can).
      this.joined = false;
      this.crashed = !e.payload.restart;
      o.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      o.emit('crash', e.payload);
    });
    consumer.on(consumer.events.REBALANCING, () => o.emit('rebalancing'));
    await consumer.connect();
    await consumer.subscribe({ topics: o.sourceTopics, fromBeginning: o.fromBeginning });
    await consumer.subscribe({ topics: [o.retryTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Stops taking records, lets the batches in flight end and commit, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.resumeTimers) clearTimeout(t);
    this.resumeTimers.clear();
    try {
      await this.consumer?.disconnect();
    } catch (error) {
      this.o.log.warn({ err: error }, 'consumer disconnect failed');
    }
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const fromRetry = batch.topic === this.o.retryTopic;
    let rebalancing = false;
    const beat = async (): Promise<void> => {
      try {
        await payload.heartbeat();
      } catch (error) {
        rebalancing = true;
        this.o.log.debug({ err: error }, 'heartbeat refused (rebalance in progress)');
      }
    };
    const ticker = setInterval(() => void beat(), Math.max(500, (this.o.heartbeatIntervalMs ?? CONSUMER_DEFAULTS.heartbeatIntervalMs) / 2));
    let pauseUntil: number | undefined;
    let lastResolved: string | null = null;
    let result;
    try {
      result = await runKeyOrdered(batch.messages, {
        concurrency: this.o.concurrency,
        keyOf: (m) => (m.key ? m.key.toString('utf8') : `\u0000${m.offset}`),
        admit: (m) => {
          if (this.stopping || rebalancing || !payload.isRunning() || payload.isStale()) return false;
          const due = fromRetry
            ? Date.parse(headersToStrings(m.headers)[HEADERS.deliveryNotBefore] ?? '')
            : NaN;
          if (Number.isFinite(due) && due > Date.now()) {
            pauseUntil = due;
            return false;
          }
          return true;
        },
        run: (m) => this.o.handle(batch.topic, batch.partition, m, fromRetry),
        completed: (m) => {
          payload.resolveOffset(m.offset);
          lastResolved = m.offset;
        },
      });
      if (pauseUntil !== undefined && result.completed === result.taken && !this.stopping)
        this.pauseUntil(payload, pauseUntil);
      this.o.lag?.(batch.topic, batch.partition, lagAfter(batch.highWatermark, lastResolved, batch.messages));
    } finally {
      clearInterval(ticker);
    }
    const uncommitted = payload.uncommittedOffsets();
    if (uncommitted.topics.length > 0) {
      try {
        await payload.commitOffsetsIfNecessary(uncommitted);
      } catch (error) {
        // The records stay resolved locally and are committed with the next batch, or redelivered after a
        // rebalance (the idempotency store and the archive's ON CONFLICT make that harmless).
        this.o.log.warn(
          { err: error, topic: batch.topic, partition: batch.partition },
          'offset commit failed',
        );
        if (!('failure' in result)) throw error;
      }
    }
    if ('failure' in result) throw result.failure;
  }

  /** Pauses the batch's partition until the first retry record is due (heartbeats go on meanwhile). */
  private pauseUntil(payload: EachBatchPayload, due: number): void {
    const resume = payload.pause();
    const wait = Math.max(0, due - Date.now());
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      resume();
    }, wait);
    this.resumeTimers.add(timer);
    this.o.log.debug(
      { topic: payload.batch.topic, partition: payload.batch.partition, waitMs: wait },
      'retry not due yet: partition paused',
    );
  }
}

function lagAfter(highWatermark: string, lastResolved: string | null, messages: KafkaMessage[]): number {
  const hw = BigInt(highWatermark);
  const position =
    lastResolved !== null ? BigInt(lastResolved) + 1n : BigInt(messages[0]?.offset ?? highWatermark);
  return Number(hw > position ? hw - position : 0n);
}
