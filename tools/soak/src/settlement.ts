import { loadConfig } from '@broker-events/config';
import { TOPICS, deadLetterTopic, retryTopic } from '@broker-events/contracts';
import { createKafka, groupPositions, kafkaConfigSchema } from '@broker-events/messaging';

export type Kafka = ReturnType<typeof createKafka>;

export function kafkaFor(brokers: string, clientId = 'soak'): Kafka {
  return createKafka(loadConfig(clientId, kafkaConfigSchema, { KAFKA_BROKERS: brokers }), clientId);
}

/** Where one consumer stands: lag on its source and retry topics, records in its dead-letter topic. */
export interface Settlement {
  consumer: string;
  sourceLag: number;
  retryLag: number;
  deadLettered: number;
}

/**
 * Reads a consumer's positions (`<name>-server` group). Nothing is stuck when both lags are 0: every record
 * reached a final place and was committed.
 */
export async function settlement(
  kafka: Kafka,
  consumer: string,
  source: string = TOPICS.events,
): Promise<Settlement> {
  const group = `${consumer}-server`;
  const sum = (xs: { lag: number }[]): number => xs.reduce((s, x) => s + x.lag, 0);
  const sourceLag = sum(await groupPositions(kafka, group, source));
  const retryLag = sum(await groupPositions(kafka, group, retryTopic(consumer)));
  const dlq = await groupPositions(kafka, `${group}-dlq-reader`, deadLetterTopic(consumer));
  const deadLettered = dlq.reduce((s, p) => s + Number(p.end), 0);
  return { consumer, sourceLag, retryLag, deadLettered };
}

export function isSettled(s: Settlement): boolean {
  return s.sourceLag === 0 && s.retryLag === 0;
}
