/**
 * Kafka topic names. Grammar (see README):
 *
 *   <domain>.<dataset>.<kind>.v<major>[.<consumer>]
 *
 * domain `altinn`, dataset `broker`, kind one of events | quarantine | deliveries | retry | dlq, major ≥ 1; the consumer
 * segment is required for retry and dlq and forbidden otherwise. Only lowercase letters, digits, `.` and `-`
 * (never `_`: Kafka warns that `.` and `_` collide in metric names).
 */

export const TOPIC_DOMAIN = 'altinn';
export const TOPIC_DATASET = 'broker';
export const TOPIC_MAJOR_VERSION = 1;

export type TopicKind = 'events' | 'quarantine' | 'deliveries' | 'retry' | 'dlq';

export const TOPICS = {
  /** Every valid Broker event, binary CloudEvents mode, key = file transfer id. */
  events: 'altinn.broker.events.v1',
  /** Requests that failed validation: raw body as received plus the violations in headers. */
  quarantine: 'altinn.broker.quarantine.v1',
  /**
   * What each consumer did with each event: JSON `DeliveryReport` values (read-model.ts), key = the event's
   * file transfer id, else its id. Written by every consumer's pipeline, read by the archive.
   */
  deliveries: 'altinn.broker.deliveries.v1',
} as const;

/** Consumer names: lowercase letter first, then lowercase letters, digits and `-`, at most 49 characters. */
export const CONSUMER_NAME_PATTERN = /^[a-z][a-z0-9-]{0,48}$/;

function assertConsumerName(consumer: string): void {
  if (typeof consumer !== 'string' || !CONSUMER_NAME_PATTERN.test(consumer)) {
    throw new RangeError(
      `Invalid consumer name ${JSON.stringify(consumer)}: use ${String(CONSUMER_NAME_PATTERN)} ` +
        `(lowercase letter first, then lowercase letters, digits or "-", at most 49 characters)`,
    );
  }
}

/** The topic a consumer re-reads failed events from: `altinn.broker.retry.v1.<consumer>`. */
export function retryTopic(consumer: string): string {
  assertConsumerName(consumer);
  return `${TOPIC_DOMAIN}.${TOPIC_DATASET}.retry.v${TOPIC_MAJOR_VERSION}.${consumer}`;
}

/** The topic a consumer parks events it gave up on: `altinn.broker.dlq.v1.<consumer>`. */
export function deadLetterTopic(consumer: string): string {
  assertConsumerName(consumer);
  return `${TOPIC_DOMAIN}.${TOPIC_DATASET}.dlq.v${TOPIC_MAJOR_VERSION}.${consumer}`;
}

/**
 * Every topic the system needs for these consumers, for ops tooling that creates them: the events, quarantine and
 * deliveries topics, then the retry and dlq topic of each consumer (sorted, duplicates dropped). Throws on a bad name.
 */
export function allTopics(consumers: readonly string[] = []): string[] {
  const unique = [...new Set(consumers)].sort();
  return [
    TOPICS.events,
    TOPICS.quarantine,
    TOPICS.deliveries,
    ...unique.flatMap((c) => [retryTopic(c), deadLetterTopic(c)]),
  ];
}

export interface TopicName {
  domain: string;
  dataset: string;
  kind: TopicKind;
  major: number;
  consumer?: string;
}

const TOPIC_PATTERN =
  /^([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)\.(events|quarantine|deliveries|retry|dlq)\.v([1-9][0-9]*)(?:\.([a-z][a-z0-9-]{0,48}))?$/;

/** Splits a topic name by the grammar; undefined when it does not follow it. */
export function parseTopicName(topic: string): TopicName | undefined {
  const m = TOPIC_PATTERN.exec(topic);
  if (!m) return undefined;
  const kind = m[3] as TopicKind;
  const consumer = m[5];
  const perConsumer = kind === 'retry' || kind === 'dlq';
  if (perConsumer !== (consumer !== undefined)) return undefined;
  const name: TopicName = { domain: m[1], dataset: m[2], kind, major: Number(m[4]) };
  if (consumer !== undefined) name.consumer = consumer;
  return name;
}
