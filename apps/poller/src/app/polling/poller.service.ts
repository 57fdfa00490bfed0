import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type AltinnClient } from '@broker-events/altinn-client';
import { CoalescingPublisher, KafkaProbe, createKafka, ensureTopics } from '@broker-events/messaging';
import { HEADERS, type KafkaRecord } from '@broker-events/contracts';
import {
  APP_LOGGER,
  type AppLogger,
  HealthRegistry,
  SpanKind,
  currentTraceparent,
  withSpan,
} from '@broker-events/observability';
import { POLLER_CONFIG, type PollerConfig, resourceUrns } from '../config/poller.config';
import type { CursorStore } from '../cursor/cursor-store';
import { PollerMetrics } from '../poller.metrics';
import { EventPoller, type ResourcePollResult } from './event-poller';

export const CURSOR_STORE = Symbol('CURSOR_STORE');
export const ALTINN_CLIENT = Symbol('ALTINN_CLIENT');

/**
 * Runs {@link EventPoller} on a schedule: once at start-up (POLL_ON_START), then POLL_INTERVAL_SECONDS after
 * the previous poll ended, so polls never overlap. Shutdown waits for a running poll.
 */
@Injectable()
export class PollerService implements OnModuleInit, OnApplicationShutdown {
  private readonly kafka: ReturnType<typeof createKafka>;
  private readonly publisher: CoalescingPublisher;
  private readonly probe: KafkaProbe;
  private readonly poller: EventPoller;
  private timer?: NodeJS.Timeout;
  private running?: Promise<ResourcePollResult[]>;
  private stopped = false;
  private topicsReady: boolean;
  private lastProbe = { at: 0, ok: false };

  constructor(
    @Inject(POLLER_CONFIG) private readonly config: PollerConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    @Inject(CURSOR_STORE) private readonly cursors: CursorStore,
    @Inject(ALTINN_CLIENT) altinn: AltinnClient,
    metrics: PollerMetrics,
    health: HealthRegistry,
  ) {
    this.kafka = createKafka(config, config.KAFKA_CLIENT_ID);
    this.publisher = new CoalescingPublisher(this.kafka, {
      timeoutMs: config.PUBLISH_TIMEOUT_MS,
      lingerMs: 0,
    });
    this.probe = new KafkaProbe(this.kafka, [config.POLLER_TOPIC]);
    this.topicsReady = !config.KAFKA_CREATE_TOPICS;
    this.poller = new EventPoller(
      altinn.events,
      (records) => this.publishTraced(records),
      cursors,
      metrics,
      logger,
      {
        resources: resourceUrns(config),
        organisationNumber: config.POLL_ORGANISATION_NUMBER,
        types: config.POLL_TYPES,
        pageSize: config.POLL_PAGE_SIZE,
        maxPagesPerRun: config.POLL_MAX_PAGES_PER_RUN,
        initialCursor: config.POLL_INITIAL_CURSOR,
        topic: config.POLLER_TOPIC,
        quarantineTopic: config.POLLER_QUARANTINE_TOPIC,
        stallAfterMs: config.POLL_STALL_AFTER_SECONDS * 1000,
      },
    );
    health.register('kafka', () => this.kafkaReady());
    if (config.POLL_ORGANISATION_NUMBER === undefined) {
      logger.warn(
        { stallAfterSeconds: config.POLL_STALL_AFTER_SECONDS },
        'polling without a subject filter (POLL_WITHOUT_SUBJECT_FILTER=true): an empty page does not prove the poller caught up; watch poller_stalled',
      );
    }
    health.register('cursor-store', () => this.cursors.ping());
    // A poller whose cursor stands still is not doing its job; /health/ready says so (`progress: false`).
    health.register('progress', async () => this.poller.checkProgress().length === 0);
  }

  async onModuleInit(): Promise<void> {
    await this.cursors.init();
    if (this.config.KAFKA_CREATE_TOPICS) {
      await ensureTopics(
        this.kafka,
        [this.config.POLLER_TOPIC, this.config.POLLER_QUARANTINE_TOPIC].map((topic) => ({
          topic,
          partitions: this.config.KAFKA_TOPIC_PARTITIONS,
          replicationFactor: this.config.KAFKA_TOPIC_REPLICATION_FACTOR,
        })),
      ).catch((error: unknown) =>
        this.logger.warn(
          { err: String(error) },
          'could not ensure topics; publishing will fail until they exist',
        ),
      );
      this.topicsReady = true;
    }
    this.schedule(this.config.POLL_ON_START ? 0 : this.config.POLL_INTERVAL_SECONDS * 1000);
  }

  /** Kafka is usable (a metadata probe, cached for a second so readiness checks stay cheap). */
  /**
   * One page of recovered events in a producer span whose context each record carries (`ce_traceparent`,
   * unless the event brought its own), so the consumers continue the trace of the catch-up.
   */
  private publishTraced(records: KafkaRecord[]): Promise<void> {
    return withSpan(
      `publish ${this.config.POLLER_TOPIC}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.system': 'kafka', 'messaging.batch.message_count': records.length },
      },
      async () => {
        const traceparent = currentTraceparent();
        if (traceparent)
          for (const r of records)
            if (r.headers[HEADERS.traceparent] === undefined) r.headers[HEADERS.traceparent] = traceparent;
        await this.publisher.publish(records);
      },
    );
  }

  private async kafkaReady(): Promise<boolean> {
    if (!this.topicsReady) return false;
    const now = Date.now();
    if (now - this.lastProbe.at >= 1000) this.lastProbe = { at: now, ok: await this.probe.check() };
    return this.lastProbe.ok;
  }

  /** Polls every resource now (waits for a poll already running instead of starting a second one). */
  pollNow(): Promise<ResourcePollResult[]> {
    if (this.running) return this.running;
    const run = this.poller.pollAll().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pollNow()
        .catch((error: unknown) => this.logger.error({ err: String(error) }, 'poll crashed'))
        .finally(() => this.schedule(this.config.POLL_INTERVAL_SECONDS * 1000));
    }, delayMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.publisher.close();
    await this.probe.close();
    await this.cursors.close();
  }
}
