import {
  type AltinnCloudEvent,
  type EventFilter,
  type EventPredicate,
  HEADERS,
  type KafkaRecord,
  TOPICS,
  attributesFromHeaders,
  compileFilter,
  deadLetterTopic,
  fromKafkaRecord,
  retryTopic,
} from '@broker-events/contracts';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Registry } from 'prom-client';
import { SpanKind, contextFromTraceparent, withSpan } from '@broker-events/observability';
import { lastValueFrom } from 'rxjs';
import { CoalescingPublisher } from '../publisher';
import { ensureTopics } from '../topics-admin';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, backoffMs, sleep } from './backoff';
import { type ClassifiedFailure, PermanentDeliveryError, classifyFailure } from './delivery-errors';
import {
  DELIVERY_HEADER_NAMES,
  type DeliveryHistory,
  errorHeader,
  headersToStrings,
  historyOf,
} from './delivery-headers';
import type { IdempotencyStore } from './idempotency/idempotency-store';
import { PipelineContext, type PipelineMessageInfo } from './pipeline-context';
import { PipelineMetrics } from './pipeline-metrics';

/** The subset of a pino logger the pipeline uses. */
export interface PipelineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const SILENT: PipelineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface KafkaPipelineOptions {
  /** Consumer name (contracts' CONSUMER_NAME_PATTERN). Names the retry and DLQ topics; group id `<name>-server`. */
  consumer: string;
  kafka: Kafka;
  /** Topics to deliver from. Default: [TOPICS.events]. */
  sourceTopics?: string[];
  /** The `@EventPattern` the handler is registered under. Default: TOPICS.events. */
  pattern?: string;
  /** Which events to deliver, evaluated on headers only. Default: every event. */
  filter?: EventFilter;
  retry?: Partial<RetryPolicy>;
  /** Skip events this consumer already delivered. The server closes it on shutdown. */
  idempotency?: IdempotencyStore;
  /** Prune idempotency entries older than this, at start and every 6 hours. Default: never. */
  idempotencyRetentionMs?: number;
  /**
   * Records of one partition in flight at once. Records with the same key (the file transfer id) always go one
   * after another, in offset order. Default 1.
   */
  concurrency?: number;
  /** Partitions processed at once (kafkajs partitionsConsumedConcurrently). Default 2. */
  partitionsConsumedConcurrently?: number;
  /**
   * Where a consumer group without committed offsets starts reading the source topics: true = earliest
   * (default), false = latest. Its retry topic is always read from the earliest record.
   */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Longest wait for new records in a fetch (kafkajs maxWaitTimeInMs). Default 1000. */
  maxWaitTimeMs?: number;
  /** Create the source, retry and DLQ topics when missing (local development and tests). Default: off. */
  createTopics?: { partitions: number; replicationFactor: number };
  metrics?: Registry;
  logger?: PipelineLogger;
}

type Outcome = 'delivered' | 'skipped' | 'duplicate' | 'retry' | 'dead-lettered' | 'interrupted';

const GROUP_SUFFIX = '-server';

/** NestJS's convention for a server's consumer group: the configured id plus `-server`. */
export function pipelineGroupId(consumer: string): string {
  return `${consumer}${GROUP_SUFFIX}`;
}

/**
 * A NestJS custom transport that runs one delivery sequence per Kafka record:
 *
 *   filter (headers only) → validate → skip duplicates → deliver (in-place retries with backoff and jitter)
 *   → park in the retry topic (with a due time) or the dead-letter topic → resolve and commit the offset.
 *
 * It consumes with kafkajs `eachBatch`, auto-commit off: an offset is resolved only once its record was delivered,
 * skipped or safely written to the retry/DLQ topic (acks=all), and offsets are committed after every batch. It
 * also reads its own retry topic, waits for each record's due time with the partition paused (so heartbeats go
 * on), and calls the same handler again.
 */
export class KafkaPipelineServer extends Server implements CustomTransportStrategy {
  readonly consumerName: string;
  readonly groupId: string;
  readonly retryTopicName: string;
  readonly deadLetterTopicName: string;
  private readonly sourceTopics: string[];
  private readonly pattern: string;
  private readonly accept: EventPredicate;
  private readonly policy: RetryPolicy;
  private readonly concurrency: number;
  private readonly log: PipelineLogger;
  private readonly metrics?: PipelineMetrics;
  private readonly publisher: CoalescingPublisher;
  private consumer?: Consumer;
  private handler?: MessageHandler;
  private joined = false;
  private crashed = false;
  private stopping = false;
  private readonly abort = new AbortController();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private pruneTimer?: NodeJS.Timeout;
  private readonly listeners = new Map<string, ((...args: unknown[]) => void)[]>();

  constructor(private readonly options: KafkaPipelineOptions) {
    super();
    this.consumerName = options.consumer;
    this.groupId = pipelineGroupId(options.consumer);
    this.retryTopicName = retryTopic(options.consumer);
    this.deadLetterTopicName = deadLetterTopic(options.consumer);
    this.sourceTopics = options.sourceTopics ?? [TOPICS.events];
    this.pattern = options.pattern ?? TOPICS.events;
    this.accept = options.filter ? compileFilter(options.filter) : () => true;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (this.policy.inPlaceAttempts < 1) throw new RangeError('retry.inPlaceAttempts must be at least 1');
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.log = options.logger ?? SILENT;
    this.metrics = options.metrics ? new PipelineMetrics(options.metrics) : undefined;
    this.publisher = new CoalescingPublisher(options.kafka, { lingerMs: 0, timeoutMs: 10_000 });
  }

  /** Ready while the consumer is in its group and running. For /health/ready. */
  isReady(): boolean {
    return this.joined && !this.crashed && !this.stopping;
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  private async start(): Promise<void> {
    if (!this.getHandlerByPattern(this.pattern)) {
      throw new Error(
        `No @EventPattern(${JSON.stringify(this.pattern)}) handler is registered for ${this.consumerName}`,
      );
    }
    const { kafka } = this.options;
    if (this.options.createTopics) {
      const { partitions, replicationFactor } = this.options.createTopics;
      await ensureTopics(
        kafka,
        [...this.sourceTopics, this.retryTopicName, this.deadLetterTopicName].map((topic) => ({
          topic,
          partitions,
          replicationFactor,
        })),
      );
    }
    await this.options.idempotency?.init();
    await this.schedulePruning();
    await this.publisher.connect();
    const consumer = kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 1_000,
      allowAutoTopicCreation: false,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      this.log.info(
        { groupId: this.groupId, assignment: e.payload.memberAssignment },
        'joined consumer group',
      );
      this.emit('group-join', e.payload);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      // Not ready until the group is joined again (kafkajs restarts the consumer when it can).
      this.joined = false;
      this.crashed = !e.payload.restart;
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      this.emit('crash', e.payload);
    });
    consumer.on(consumer.events.REBALANCING, () => this.emit('rebalancing'));
    await consumer.connect();
    await consumer.subscribe({
      topics: this.sourceTopics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await consumer.subscribe({ topics: [this.retryTopicName], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 2,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.log.info(
      {
        consumer: this.consumerName,
        groupId: this.groupId,
        topics: this.sourceTopics,
        retryTopic: this.retryTopicName,
        deadLetterTopic: this.deadLetterTopicName,
      },
      'delivery pipeline started',
    );
  }

  /** Prunes once now (before consuming), then every 6 hours. */
  private async schedulePruning(): Promise<void> {
    const store = this.options.idempotency;
    const retention = this.options.idempotencyRetentionMs;
    if (!store || retention === undefined) return;
    const prune = (): Promise<void> =>
      store.prune(new Date(Date.now() - retention)).then(
        (removed) => this.log.info({ removed }, 'pruned the idempotency store'),
        (error: unknown) => this.log.warn({ err: error }, 'could not prune the idempotency store'),
      );
    await prune();
    this.pruneTimer = setInterval(() => void prune(), 6 * 3600_000);
    this.pruneTimer.unref();
  }

  /** Graceful drain: stop taking records, let in-flight ones finish (backoff waits end early), commit, disconnect. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    for (const t of this.resumeTimers) clearTimeout(t);
    this.resumeTimers.clear();
    try {
      await this.consumer?.disconnect();
    } catch (error) {
      this.log.warn({ err: error }, 'consumer disconnect failed');
    }
    await this.publisher.close();
    await this.options.idempotency?.close();
    this.log.info({ consumer: this.consumerName }, 'delivery pipeline stopped');
  }

  /** Events: `group-join`, `rebalancing`, `crash` (for tests and operators). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- the signature Nest's Server declares
  on<EventKey extends string = string, EventCallback extends Function = Function>(
    event: EventKey,
    callback: EventCallback,
  ): void {
    const list = this.listeners.get(event) ?? [];
    list.push(callback as unknown as (...args: unknown[]) => void);
    this.listeners.set(event, list);
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const cb of this.listeners.get(event) ?? []) cb(...args);
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('Not initialized. Please call the "listen" method before "unwrap".');
    return this.consumer as T;
  }

  // ---- one batch: key-ordered concurrency, offsets resolved in order, commit at the end ----

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const fromRetry = batch.topic === this.retryTopicName;
    let rebalancing = false;
    const beat = async (): Promise<void> => {
      try {
        await payload.heartbeat();
      } catch (error) {
        rebalancing = true;
        this.log.debug({ err: error }, 'heartbeat refused (rebalance in progress)');
      }
    };
    const ticker = setInterval(
      () => void beat(),
      Math.max(500, (this.options.heartbeatIntervalMs ?? 3_000) / 2),
    );

    const offsets: string[] = [];
    const finished = new Set<string>();
    let next = 0;
    const advance = (): void => {
      while (next < offsets.length && finished.has(offsets[next])) {
        payload.resolveOffset(offsets[next]);
        next++;
      }
    };
    const lanes = new Map<string, Promise<Outcome | 'failed'>>();
    const inFlight = new Set<Promise<unknown>>();
    // A slot opens when any task settles (a counter and one waiter, not Promise.race over every task).
    let slotFreed: (() => void) | undefined;
    let failure: unknown;
    let pauseUntil: number | undefined;

    try {
      for (const message of batch.messages) {
        if (
          this.stopping ||
          rebalancing ||
          failure !== undefined ||
          !payload.isRunning() ||
          payload.isStale()
        )
          break;
        if (fromRetry) {
          const due = Date.parse(headerString(message, HEADERS.deliveryNotBefore) ?? '');
          if (Number.isFinite(due) && due > Date.now()) {
            pauseUntil = due;
            break;
          }
        }
        while (inFlight.size >= this.concurrency) await new Promise<void>((r) => (slotFreed = r));
        if (failure !== undefined) break;
        const offset = message.offset;
        offsets.push(offset);
        const key = message.key ? message.key.toString('utf8') : `\u0000${offset}`;
        const previous = lanes.get(key);
        const task: Promise<Outcome | 'failed'> = (
          previous ?? Promise.resolve<Outcome | 'failed'>('delivered')
        )
          .then((before) =>
            // Keep a key's order: once one of its records could not finish, later ones wait for the next fetch.
            before === 'interrupted' || before === 'failed' || failure !== undefined
              ? ('interrupted' as const)
              : this.process(batch.topic, batch.partition, message, fromRetry, beat),
          )
          .then(
            (outcome) => {
              if (outcome !== 'interrupted') finished.add(offset);
              advance();
              return outcome;
            },
            (error: unknown) => {
              failure ??= error;
              return 'failed' as const;
            },
          );
        lanes.set(key, task);
        inFlight.add(task);
        void task.then(() => {
          inFlight.delete(task);
          const wake = slotFreed;
          slotFreed = undefined;
          wake?.();
        });
      }
      await Promise.all(inFlight);
      advance();
      if (pauseUntil !== undefined && next === offsets.length && !this.stopping) {
        const resume = payload.pause();
        const wait = Math.max(0, pauseUntil - Date.now());
        const timer = setTimeout(() => {
          this.resumeTimers.delete(timer);
          resume();
        }, wait);
        this.resumeTimers.add(timer);
        this.log.debug(
          { topic: batch.topic, partition: batch.partition, waitMs: wait },
          'retry not due yet: partition paused',
        );
      }
      this.metrics?.lag.set(
        { consumer: this.consumerName, topic: batch.topic, partition: String(batch.partition) },
        Number(lagAfter(batch.highWatermark, offsets[next - 1] ?? null, batch.messages)),
      );
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
        this.log.warn({ err: error, topic: batch.topic, partition: batch.partition }, 'offset commit failed');
        if (failure === undefined) throw error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  // ---- one record: filter → validate → dedupe → deliver → retry → park ----

  /**
   * One record in a consumer span that continues the trace the record carries (`ce_traceparent`, written by
   * the gateway and kept through the retry and dead-letter topics), so a retry joins the event's trace.
   */
  private process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    fromRetry: boolean,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome> {
    return withSpan(
      `process ${this.consumerName}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromTraceparent(headerString(message, HEADERS.traceparent)),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.consumer.group.name': this.groupId,
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(message.offset),
        },
      },
      async (span) => {
        const outcome = await this.processRecord(topic, partition, message, fromRetry, heartbeat);
        span?.setAttribute('broker_events.outcome', outcome);
        return outcome;
      },
    );
  }

  private async processRecord(
    topic: string,
    partition: number,
    message: KafkaMessage,
    fromRetry: boolean,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome> {
    const started = process.hrtime.bigint();
    const consumer = this.consumerName;
    this.metrics?.received.inc({ consumer, topic });
    const headers = headersToStrings(message.headers);
    const history = historyOf(headers, { topic, partition, offset: message.offset }, fromRetry);
    const where = {
      consumer,
      topic,
      partition,
      offset: message.offset,
      eventId: headers[HEADERS.id],
      type: headers[HEADERS.type],
    };
    const done = (outcome: Outcome): Outcome => {
      this.metrics?.deliveryLatency.observe({ consumer, outcome }, elapsedSeconds(started));
      return outcome;
    };

    // 1. filter, on headers alone
    if (!this.accept(attributesFromHeaders(message.headers))) {
      this.metrics?.skipped.inc({ consumer, reason: 'filter' });
      this.log.debug(where, 'skipped by filter');
      return done('skipped');
    }

    // 2. validate: an invalid record can never be delivered, so it is dead-lettered at once
    const parsed = fromKafkaRecord({ key: message.key, value: message.value, headers: message.headers });
    if (!parsed.ok) {
      const reason = parsed.violations
        .slice(0, 5)
        .map((v) => `${v.path || '(record)'} ${v.reason}`)
        .join('; ');
      await this.park(
        'dlq',
        message,
        headers,
        history,
        { kind: 'permanent', message: `invalid event: ${reason}` },
        history.attempts,
        'invalid',
      );
      this.metrics?.deadLettered.inc({ consumer, reason: 'invalid' });
      this.log.warn({ ...where, violations: parsed.violations.slice(0, 5) }, 'invalid event dead-lettered');
      return done('dead-lettered');
    }
    const event = parsed.event;
    const eventKey = { source: event.source, id: event.id };

    // 3. skip what this consumer already delivered
    const store = this.options.idempotency;
    let attempt = history.attempts;
    let last: ClassifiedFailure | undefined;
    for (let call = 1; call <= this.policy.inPlaceAttempts; call++) {
      if (this.stopping) return 'interrupted';
      attempt++;
      try {
        if (store && call === 1 && (await store.seen(consumer, eventKey))) {
          this.metrics?.skipped.inc({ consumer, reason: 'duplicate' });
          this.log.debug(where, 'skipped: already delivered');
          return done('duplicate');
        }
        // 4. deliver
        await this.deliver(
          event,
          {
            consumer,
            topic,
            partition,
            offset: message.offset,
            originalTopic: history.originalTopic,
            originalPartition: history.originalPartition,
            originalOffset: history.originalOffset,
            key: message.key ? message.key.toString('utf8') : null,
            headers,
            timestamp: message.timestamp,
            receivedAt: new Date(),
            attempt,
            canonicalType: parsed.canonicalType,
          },
          heartbeat,
        );
        if (store) {
          await store.remember(consumer, eventKey).catch((error: unknown) => {
            this.log.warn(
              { ...where, err: error },
              'delivered, but could not record it in the idempotency store',
            );
          });
        }
        this.metrics?.delivered.inc({ consumer });
        this.log.debug({ ...where, attempt }, 'delivered');
        return done('delivered');
      } catch (error) {
        last = classifyFailure(error);
        if (last.kind === 'permanent') break;
        if (call === this.policy.inPlaceAttempts) break;
        const wait = backoffMs(this.policy, call, last.retryAfterMs);
        if (last.retryAfterMs !== undefined && last.retryAfterMs > this.policy.maxBackoffMs) break;
        this.metrics?.retried.inc({ consumer, stage: 'in_place' });
        this.log.info(
          { ...where, attempt, error: last.message, waitMs: wait },
          'transient failure: retrying in place',
        );
        if (!(await sleep(wait, this.abort.signal))) return 'interrupted';
      }
    }

    // 5. park: the retry topic while rounds are left, else the dead-letter topic
    const failure = last ?? { kind: 'transient' as const, message: 'delivery failed' };
    if (failure.kind === 'permanent') {
      await this.park('dlq', message, headers, history, failure, attempt, 'permanent');
      this.metrics?.deadLettered.inc({ consumer, reason: 'permanent' });
      this.log.warn({ ...where, attempt, error: failure.message }, 'permanent failure: dead-lettered');
      return done('dead-lettered');
    }
    if (history.rounds < this.policy.retryTopicDelaysMs.length) {
      await this.park('retry', message, headers, history, failure, attempt, 'transient');
      this.metrics?.retried.inc({ consumer, stage: 'retry_topic' });
      this.log.warn(
        { ...where, attempt, round: history.rounds + 1, error: failure.message },
        'transient failure: parked in the retry topic',
      );
      return done('retry');
    }
    await this.park('dlq', message, headers, history, failure, attempt, 'transient');
    this.metrics?.deadLettered.inc({ consumer, reason: 'exhausted' });
    this.log.warn({ ...where, attempt, error: failure.message }, 'retries exhausted: dead-lettered');
    return done('dead-lettered');
  }

  /** One call of the sink, in a client span (each in-place attempt its own). */
  private deliver(
    event: AltinnCloudEvent,
    info: PipelineMessageInfo,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
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
      () => this.invoke(event, info, heartbeat),
    );
  }

  private async invoke(
    event: AltinnCloudEvent,
    info: PipelineMessageInfo,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    // Looked up once: Nest's pattern-to-route normalisation is too slow to repeat per record.
    const handler = (this.handler ??= this.getHandlerByPattern(this.pattern) ?? undefined);
    if (!handler) throw new PermanentDeliveryError(`no handler for ${this.pattern}`);
    const result: unknown = await handler(event, new PipelineContext(info, heartbeat));
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  private async park(
    where: 'retry' | 'dlq',
    message: KafkaMessage,
    headers: Record<string, string>,
    history: DeliveryHistory,
    failure: ClassifiedFailure,
    attempts: number,
    kind: 'transient' | 'permanent' | 'invalid',
  ): Promise<void> {
    const now = new Date();
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers))
      if (!DELIVERY_HEADER_NAMES.includes(name)) out[name] = value;
    out[HEADERS.deliveryConsumer] = this.consumerName;
    out[HEADERS.deliveryAttempt] = String(attempts);
    out[HEADERS.deliveryError] = errorHeader(failure.message);
    out[HEADERS.deliveryFirstFailedAt] = history.firstFailedAt ?? now.toISOString();
    out[HEADERS.deliveryOriginalTopic] = history.originalTopic;
    out[HEADERS.deliveryOriginalPartition] = String(history.originalPartition);
    out[HEADERS.deliveryOriginalOffset] = history.originalOffset;
    out[HEADERS.deliveryLastFailedAt] = now.toISOString();
    out[HEADERS.deliveryFailure] = kind;
    let topic = this.deadLetterTopicName;
    if (where === 'retry') {
      topic = this.retryTopicName;
      const delay = Math.max(this.policy.retryTopicDelaysMs[history.rounds] ?? 0, failure.retryAfterMs ?? 0);
      out[HEADERS.deliveryNotBefore] = new Date(now.getTime() + delay).toISOString();
      out[HEADERS.deliveryRound] = String(history.rounds + 1);
    } else {
      out[HEADERS.deliveryRound] = String(history.rounds);
    }
    const record: KafkaRecord = {
      topic,
      key: message.key ? message.key.toString('utf8') : '',
      value: message.value ?? Buffer.alloc(0),
      headers: out,
    };
    try {
      await this.publisher.publish([record]);
    } catch (error) {
      this.metrics?.parkFailures.inc({ consumer: this.consumerName });
      this.log.error(
        { err: error, topic, offset: message.offset },
        'could not write to the retry/dead-letter topic',
      );
      throw error;
    }
  }
}

function headerString(message: KafkaMessage, name: string): string | undefined {
  const raw = message.headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

function lagAfter(highWatermark: string, lastResolved: string | null, messages: KafkaMessage[]): bigint {
  const hw = BigInt(highWatermark);
  const position =
    lastResolved !== null ? BigInt(lastResolved) + 1n : BigInt(messages[0]?.offset ?? highWatermark);
  return hw > position ? hw - position : 0n;
}

function elapsedSeconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
