import { type DeliveryReport, deadLetterTopic, parseDeliveryReport } from '@broker-events/contracts';
import { JsonRecordConsumer, createKafka } from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';
import type { ArchiveConfig } from './config/archive.config';
import type { ArchiveStore } from './store/archive-store';

/**
 * Stores the consumers' delivery reports (ARCHIVE_DELIVERIES_TOPIC) for the read API: one upsert per fetched
 * batch, offsets committed after it; a record that is not a valid DeliveryReport goes to the archive's
 * dead-letter topic, like an invalid event. Its own consumer group, `<CONSUMER_NAME>-deliveries`, so its lag and
 * offsets are apart from the events'.
 */
export class ArchiveDeliveriesConsumer {
  private readonly consumer: JsonRecordConsumer<DeliveryReport>;

  constructor(config: ArchiveConfig, store: ArchiveStore, logger: AppLogger) {
    const log = logger.child({ component: 'deliveries' });
    this.consumer = new JsonRecordConsumer<DeliveryReport>({
      kafka: createKafka(config, `${config.CONSUMER_NAME}-deliveries`, logger),
      consumer: config.CONSUMER_NAME,
      groupId: `${config.CONSUMER_NAME}-deliveries`,
      topic: config.ARCHIVE_DELIVERIES_TOPIC,
      deadLetterTopic: deadLetterTopic(config.CONSUMER_NAME),
      parse: (value) => {
        const r = parseDeliveryReport(value);
        return r.ok ? { ok: true, value: r.report } : r;
      },
      handle: async (reports) => {
        await store.upsertDeliveries(reports);
      },
      fromBeginning: true,
      createTopics: config.KAFKA_CREATE_TOPICS
        ? {
            partitions: config.KAFKA_TOPIC_PARTITIONS,
            replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR,
          }
        : undefined,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: config.KAFKA_HEARTBEAT_INTERVAL_MS,
      maxWaitTimeMs: config.KAFKA_FETCH_MAX_WAIT_MS,
      fetchMinBytes: config.KAFKA_FETCH_MIN_BYTES,
      log,
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  isReady(): boolean {
    return this.consumer.isReady();
  }

  close(): Promise<void> {
    return this.consumer.close();
  }
}
