import { bool, type ConfigOf, int, str } from '@broker-events/config';
import type { KafkaConnectionConfig } from '../kafka-config';

/**
 * The settings of an app that writes to Kafka (the gateway, the poller), besides the connection
 * (`kafkaConfigSchema`) and its own PUBLISH_TIMEOUT_MS (whose default and limits are the app's). `app` names
 * the app in the docs and in the default client id.
 */
export function producerConfigSchema(app: string) {
  return {
    KAFKA_CLIENT_ID: str({ doc: 'Kafka client id.', default: `broker-events-${app}` }),
    KAFKA_CREATE_TOPICS: bool({
      doc: 'Create the event and quarantine topics at start-up when missing (off in Kubernetes, where Strimzi owns topics).',
      default: true,
    }),
    KAFKA_TOPIC_PARTITIONS: int({ doc: `Partitions for topics the ${app} creates.`, default: 6, min: 1 }),
    KAFKA_TOPIC_REPLICATION_FACTOR: int({
      doc: `Replication factor for topics the ${app} creates.`,
      default: 1,
      min: 1,
    }),
  };
}

/** What EventProducer reads of an app's config. */
export type ProducerConfig = KafkaConnectionConfig &
  ConfigOf<ReturnType<typeof producerConfigSchema>> & { PUBLISH_TIMEOUT_MS: number };
