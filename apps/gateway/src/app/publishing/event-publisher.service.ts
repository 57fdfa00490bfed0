import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { TOPICS, type KafkaRecord } from '@broker-events/contracts';
import { CoalescingPublisher, KafkaProbe, createKafka, ensureTopics } from '@broker-events/messaging';
import { APP_LOGGER, type AppLogger, HealthRegistry } from '@broker-events/observability';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../gateway.metrics';

/**
 * The gateway's one way into Kafka: coalesced acks=all writes, readiness, and topic creation for local
 * runs. Closed only after the HTTP server stopped taking requests, so in-flight publishes finish.
 */
@Injectable()
export class EventPublisherService implements OnModuleInit, OnApplicationShutdown {
  private readonly kafka: ReturnType<typeof createKafka>;
  private readonly publisher: CoalescingPublisher;
  private readonly probe: KafkaProbe;
  private topicsReady: boolean;
  private topicTimer?: NodeJS.Timeout;
  private lastProbe = { at: 0, ok: false };

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    private readonly metrics: GatewayMetrics,
    health: HealthRegistry,
  ) {
    const kafka = (this.kafka = createKafka(config, config.KAFKA_CLIENT_ID));
    this.publisher = new CoalescingPublisher(
      kafka,
      {
        timeoutMs: config.PUBLISH_TIMEOUT_MS,
        maxBatchRecords: config.PUBLISH_MAX_BATCH,
        lingerMs: config.PUBLISH_LINGER_MS,
      },
      {
        batch: (records, seconds, ok) => {
          if (ok) this.metrics.produceBatch.observe(records);
          else this.logger.warn({ records, seconds }, 'produce request failed');
        },
        reset: (reason) => {
          this.metrics.producerResets.inc();
          this.logger.warn({ err: String(reason) }, 'Kafka producer replaced after a failure');
        },
      },
    );
    this.probe = new KafkaProbe(kafka, [TOPICS.events, TOPICS.quarantine]);
    this.topicsReady = !config.KAFKA_CREATE_TOPICS;
    health.register('kafka', () => this.ready());
  }

  async onModuleInit(): Promise<void> {
    // Start-up never waits for Kafka: the gateway comes up not-ready and answers 503 until Kafka is usable.
    if (this.config.KAFKA_CREATE_TOPICS) void this.createTopics();
    void this.publisher.connect([TOPICS.events, TOPICS.quarantine]).catch((e: unknown) => {
      this.logger.warn({ err: String(e) }, 'Kafka not reachable at start-up; will retry on demand');
    });
  }

  private async createTopics(): Promise<void> {
    try {
      const created = await ensureTopics(
        this.kafka,
        [TOPICS.events, TOPICS.quarantine].map((topic) => ({
          topic,
          partitions: this.config.KAFKA_TOPIC_PARTITIONS,
          replicationFactor: this.config.KAFKA_TOPIC_REPLICATION_FACTOR,
        })),
      );
      this.topicsReady = true;
      if (created.length > 0) this.logger.info({ topics: created }, 'created topics');
    } catch (e) {
      this.logger.warn({ err: String(e) }, 'could not ensure topics; retrying in 5 s');
      this.topicTimer = setTimeout(() => void this.createTopics(), 5000);
    }
  }

  /** Kafka is usable: the last produce succeeded, or a metadata probe (cached 1 s) answers. */
  async ready(): Promise<boolean> {
    if (!this.topicsReady) return false;
    const now = Date.now();
    if (now - this.lastProbe.at < 1000) return this.lastProbe.ok;
    const ok = await this.probe.check();
    this.lastProbe = { at: Date.now(), ok };
    return ok;
  }

  /** Resolves when Kafka acknowledged every record (acks=all); rejects otherwise. */
  async publish(records: KafkaRecord[]): Promise<void> {
    const end = this.metrics.publishDuration.startTimer();
    try {
      await this.publisher.publish(records);
    } finally {
      end();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.topicTimer) clearTimeout(this.topicTimer);
    await this.publisher.close();
    await this.probe.close();
  }
}
