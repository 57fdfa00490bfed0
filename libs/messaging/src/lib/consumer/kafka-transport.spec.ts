import type { Kafka } from 'kafkajs';
import { SILENT_LOGGER } from './dispatch-hooks';
import { KafkaTransport, type KafkaTransportOptions } from './kafka-transport';

/** A stand-in for kafkajs that records the consumer settings it is given and accepts every call. */
function recordingKafka(): { kafka: Kafka; configs: Record<string, unknown>[] } {
  const configs: Record<string, unknown>[] = [];
  const consumer = {
    events: { GROUP_JOIN: 'group-join', CRASH: 'crash', REBALANCING: 'rebalancing' },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
    disconnect: async () => undefined,
  };
  const kafka = {
    consumer: (config: Record<string, unknown>) => {
      configs.push(config);
      return consumer;
    },
  } as unknown as Kafka;
  return { kafka, configs };
}

function transport(kafka: Kafka, fetch: Pick<KafkaTransportOptions, 'fetchMinBytes' | 'maxWaitTimeMs'>) {
  return new KafkaTransport({
    kafka,
    groupId: 'g',
    sourceTopics: ['t'],
    retryTopic: 't.retry',
    fromBeginning: true,
    concurrency: 1,
    partitionsConsumedConcurrently: 1,
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3_000,
    ...fetch,
    log: SILENT_LOGGER,
    handle: async () => 'done',
    emit: () => undefined,
  });
}

describe('KafkaTransport fetch settings (KAFKA_FETCH_MIN_BYTES, KAFKA_FETCH_MAX_WAIT_MS)', () => {
  it('asks the broker to gather the configured bytes for at most the configured wait', async () => {
    const { kafka, configs } = recordingKafka();
    await transport(kafka, { fetchMinBytes: 65_536, maxWaitTimeMs: 200 }).start();
    expect(configs).toEqual([expect.objectContaining({ minBytes: 65_536, maxWaitTimeInMs: 200 })]);
  });

  it("keeps kafkajs's answer-at-the-first-byte default when they are not set", async () => {
    const { kafka, configs } = recordingKafka();
    await transport(kafka, {}).start();
    expect(configs[0]).toEqual(expect.objectContaining({ minBytes: 1, maxWaitTimeInMs: 1_000 }));
  });
});
