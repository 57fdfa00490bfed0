import {
  type DeliveryReport,
  type EventFilter,
  TOPICS,
  compileFilter,
  deadLetterTopic,
  retryTopic,
} from '@broker-events/contracts';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { CoalescingPublisher } from '../publisher';
import { ensureTopics } from '../topics-admin';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './backoff';
import { type PipelineLogger, SILENT_LOGGER, observingHooks } from './dispatch-hooks';
import { deliveryReportRecord } from './delivery-report';
import { Dispatcher } from './dispatcher';
import type { IdempotencyStore } from './idempotency/idempotency-store';
import { KafkaTransport } from './kafka-transport';
import { PipelineMetrics } from './pipeline-metrics';
import type { Sink } from './sink';

export interface DeliveryPipelineOptions {
  /** Consumer name (contracts' CONSUMER_NAME_PATTERN). Names the retry and DLQ topics; group id `<name>-server`. */
  consumer: string;
  kafka: Kafka;
  /** Where every accepted, valid, new event goes. */
  sink: Sink;
  /** Topics to deliver from. Default: [TOPICS.events]. */
  sourceTopics?: string[];
  /** Which events to deliver, evaluated on headers only. Default: every event. */
  filter?: EventFilter;
  retry?: Partial<RetryPolicy>;
  /** Skip events this consumer already delivered. The pipeline opens it at start and closes it on stop. */
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
  /** Bytes the broker gathers before it answers a fetch, up to maxWaitTimeMs (kafkajs minBytes). Default 1. */
  fetchMinBytes?: number;
  /**
   * Publish a DeliveryReport to TOPICS.deliveries for every finished attempt (delivered, skipped as a
   * duplicate, retry, dead-lettered; filter skips only with `reportFiltered`). Default true. Records read from TOPICS.deliveries itself are never reported on. A report
   * is written (acks=all) before its record's offset is committed; one that cannot be written is logged and
   * counted (`pipeline_reports_failed_total`) and the record is not delivered again for it.
   */
  reports?: boolean;
  /**
   * Also report the records this consumer's filter skipped (`skipped`, `filter: not for this consumer`).
   * Default false: a consumer with a narrow filter would report nearly every event of the stream, each a
   * produce and a row in the archive, to say it did not want it.
   */
  reportFiltered?: boolean;
  /** The cluster delivery reports are written to. Default: `kafka`. */
  reportKafka?: Kafka;
  /** Create the source, retry and DLQ topics when missing (local development and tests). Default: off. */
  createTopics?: { partitions: number; replicationFactor: number };
  metrics?: Registry;
  logger?: PipelineLogger;
}

/** The consumer group of a pipeline: the consumer name plus `-server` (NestJS's convention, kept for the deployed groups). */
export function pipelineGroupId(consumer: string): string {
  return `${consumer}-server`;
}

/**
 * A consumer's delivery pipeline: the Kafka transport (group, offsets, rebalances) feeding the dispatcher
 * (filter → validate → skip duplicates → deliver → retry → dead-letter), which hands events to the app's Sink.
 * An offset is committed only once its record was delivered, skipped, or safely written to the retry or
 * dead-letter topic (acks=all).
 *
 * In a Nest app it is a provider: `startConsumerApp` starts it, and Nest's `beforeApplicationShutdown` drains
 * it before the app's own shutdown hooks close the stores the sink writes to.
 */
export class DeliveryPipeline implements BeforeApplicationShutdown {
  readonly consumerName: string;
  readonly groupId: string;
  readonly retryTopicName: string;
  readonly deadLetterTopicName: string;
  private readonly sourceTopics: string[];
  private readonly log: PipelineLogger;
  private readonly publisher: CoalescingPublisher;
  /** Delivery reports have their own producer: a failing report never resets the retry/DLQ producer. */
  private readonly reporter?: CoalescingPublisher;
  private readonly transport: KafkaTransport;
  private readonly abort = new AbortController();
  private readonly listeners = new Map<string, ((payload?: unknown) => void)[]>();
  private pruneTimer?: NodeJS.Timeout;
  private stopping = false;

  constructor(private readonly options: DeliveryPipelineOptions) {
    this.consumerName = options.consumer;
    this.groupId = pipelineGroupId(options.consumer);
    this.retryTopicName = retryTopic(options.consumer);
    this.deadLetterTopicName = deadLetterTopic(options.consumer);
    this.sourceTopics = options.sourceTopics ?? [TOPICS.events];
    this.log = options.logger ?? SILENT_LOGGER;
    const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (policy.inPlaceAttempts < 1) throw new RangeError('retry.inPlaceAttempts must be at least 1');
    this.publisher = new CoalescingPublisher(options.kafka, { lingerMs: 0, timeoutMs: 10_000 });
    const metrics = options.metrics ? new PipelineMetrics(options.metrics) : undefined;
    const hooks = observingHooks(metrics, this.log);
    const reportsOn = options.reports ?? true;
    const reporter = reportsOn
      ? new CoalescingPublisher(options.reportKafka ?? options.kafka, { lingerMs: 0, timeoutMs: 10_000 })
      : undefined;
    this.reporter = reporter;
    const dispatcher = new Dispatcher({
      consumer: this.consumerName,
      groupId: this.groupId,
      sink: options.sink,
      accept: options.filter ? compileFilter(options.filter) : () => true,
      policy,
      idempotency: options.idempotency,
      retryTopic: this.retryTopicName,
      deadLetterTopic: this.deadLetterTopicName,
      publish: async (record) => (await this.publisher.publishAt([record]))[0],
      reportFiltered: options.reportFiltered ?? false,
      report: reporter
        ? (report: DeliveryReport) =>
            reporter.publish([deliveryReportRecord(report)]).catch((error: unknown) =>
              hooks.reportFailed(
                {
                  consumer: report.consumer,
                  topic: TOPICS.deliveries,
                  partition: -1,
                  offset: '',
                  eventId: report.eventId,
                  type: report.eventType,
                },
                report.outcome,
                error,
              ),
            )
        : undefined,
      hooks,
      signal: this.abort.signal,
    });
    this.transport = new KafkaTransport({
      kafka: options.kafka,
      groupId: this.groupId,
      sourceTopics: this.sourceTopics,
      retryTopic: this.retryTopicName,
      fromBeginning: options.fromBeginning ?? true,
      concurrency: Math.max(1, options.concurrency ?? 1),
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 2,
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      maxWaitTimeMs: options.maxWaitTimeMs,
      fetchMinBytes: options.fetchMinBytes,
      log: this.log,
      handle: async (topic, partition, message, fromRetry) =>
        (await dispatcher.dispatch(topic, partition, message, fromRetry)) === 'interrupted'
          ? 'interrupted'
          : 'done',
      lag: (topic, partition, value) =>
        metrics?.lag.set({ consumer: this.consumerName, topic, partition: String(partition) }, value),
      emit: (event, payload) => this.listeners.get(event)?.forEach((cb) => cb(payload)),
    });
  }

  /** Ready while the consumer is in its group and running. For /health/ready. */
  isReady(): boolean {
    return this.transport.isReady() && !this.stopping;
  }

  /** Creates missing topics (when configured), opens and prunes the idempotency store, then joins the group. */
  async start(): Promise<void> {
    const { kafka, createTopics } = this.options;
    if (createTopics) {
      const { partitions, replicationFactor } = createTopics;
      await ensureTopics(
        kafka,
        [
          ...this.sourceTopics,
          this.retryTopicName,
          this.deadLetterTopicName,
          ...(this.reporter && !this.sourceTopics.includes(TOPICS.deliveries) ? [TOPICS.deliveries] : []),
        ].map((topic) => ({
          topic,
          partitions,
          replicationFactor,
        })),
      );
    }
    await this.options.idempotency?.init();
    await this.schedulePruning();
    await this.publisher.connect();
    // Reports never hold up deliveries: a reporter that cannot connect now tries again on each report.
    await this.reporter
      ?.connect([TOPICS.deliveries])
      .catch((error: unknown) =>
        this.log.warn({ err: error }, 'could not connect the delivery-report producer yet'),
      );
    await this.transport.start();
    this.log.info(
      {
        consumer: this.consumerName,
        groupId: this.groupId,
        topics: this.sourceTopics,
        retryTopic: this.retryTopicName,
        deadLetterTopic: this.deadLetterTopicName,
        reports: this.reporter ? TOPICS.deliveries : false,
      },
      'delivery pipeline started',
    );
  }

  /** Graceful drain: stop taking records, let in-flight ones finish (backoff waits end early), commit, disconnect. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.transport.stop();
    await this.publisher.close();
    await this.reporter?.close();
    await this.options.idempotency?.close();
    this.log.info({ consumer: this.consumerName }, 'delivery pipeline stopped');
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Events: `group-join`, `rebalancing`, `crash` (for tests and operators). */
  on(event: 'group-join' | 'rebalancing' | 'crash', callback: (payload?: unknown) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), callback]);
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
}
