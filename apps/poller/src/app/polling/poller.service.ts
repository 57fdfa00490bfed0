import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { type AltinnClient, CatchUpSchedule } from '@broker-events/altinn-client';
import { EventProducer } from '@broker-events/messaging';
import { type KafkaRecord } from '@broker-events/contracts';
import { APP_LOGGER, type AppLogger, HealthRegistry } from '@broker-events/observability';
import { POLLER_CONFIG, type PollerConfig, resourceUrns } from '../config/poller.config';
import type { CursorStore } from '../cursor/cursor-store';
import { PollerMetrics } from '../poller.metrics';
import { ALTINN_CLIENT, CURSOR_STORE } from '../poller.tokens';
import { EventPoller, type ResourcePollResult } from './event-poller';

/**
 * Runs {@link EventPoller} on a schedule: once at start-up (POLL_ON_START), then POLL_INTERVAL_SECONDS after
 * the previous poll ended, so polls never overlap. Shutdown waits for a running poll.
 */
@Injectable()
export class PollerService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly poller: EventPoller;
  private readonly schedule: CatchUpSchedule<ResourcePollResult[]>;

  constructor(
    @Inject(POLLER_CONFIG) private readonly config: PollerConfig,
    @Inject(APP_LOGGER) logger: AppLogger,
    @Inject(CURSOR_STORE) private readonly cursors: CursorStore,
    @Inject(ALTINN_CLIENT) altinn: AltinnClient,
    private readonly producer: EventProducer,
    metrics: PollerMetrics,
    health: HealthRegistry,
  ) {
    this.poller = new EventPoller(
      altinn.events,
      (records) => this.publishPage(records),
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
    if (config.POLL_ORGANISATION_NUMBER === undefined) {
      logger.warn(
        { stallAfterSeconds: config.POLL_STALL_AFTER_SECONDS },
        'polling without a subject filter (POLL_WITHOUT_SUBJECT_FILTER=true): an empty page does not prove the poller caught up; watch poller_stalled',
      );
    }
    this.schedule = new CatchUpSchedule(
      () => this.poller.pollAll(),
      config.POLL_INTERVAL_SECONDS * 1000,
      (error) => logger.error({ err: String(error) }, 'poll crashed'),
    );
    health.register('cursor-store', () => this.cursors.ping());
    // A poller whose cursor stands still is not doing its job; /health/ready says so (`progress: false`).
    health.register('progress', async () => this.poller.checkProgress().length === 0);
  }

  async onModuleInit(): Promise<void> {
    await this.cursors.init();
    // The first poll publishes: give the producer its first attempt at creating the topics before it.
    await this.producer.start();
    this.schedule.start(this.config.POLL_ON_START ? 0 : this.config.POLL_INTERVAL_SECONDS * 1000);
  }

  /**
   * One page of recovered events in a producer span whose context each record carries (`ce_traceparent`,
   * unless the event brought its own), so the consumers continue the trace of the catch-up.
   */
  private publishPage(records: KafkaRecord[]): Promise<void> {
    return this.producer.publish(records, {
      topic: this.config.POLLER_TOPIC,
      attributes: { 'messaging.batch.message_count': records.length },
    });
  }

  /** Polls every resource now (waits for a poll already running instead of starting a second one). */
  pollNow(): Promise<ResourcePollResult[]> {
    return this.schedule.runNow();
  }

  /** Stops the schedule and waits for a running poll, before the producer closes (on application shutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.schedule.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
    await this.cursors.close();
  }
}
