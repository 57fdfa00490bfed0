/**
 * Smoke test against the real broker from jest-global-setup.ts (or KAFKA_BROKERS): the kafkajs features
 * the apps rely on, on the Kafka version production runs.
 */
import { randomUUID } from 'node:crypto';
import { Admin, Consumer, Kafka, KafkaMessage, logLevel, Partitioners } from 'kafkajs';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';

interface Received {
  offset: string;
  value: string;
}

async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function valueOf(message: KafkaMessage): string {
  return message.value?.toString('utf8') ?? '';
}

describe('Kafka smoke test (real broker)', () => {
  const brokers = process.env['KAFKA_BROKERS'];
  const topic = `smoke-${randomUUID()}`;
  const groupId = `smoke-group-${randomUUID()}`;
  let kafka: Kafka;
  let admin: Admin;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    if (!brokers) throw new Error('KAFKA_BROKERS is not set: jest-global-setup.ts should have set it');
    kafka = new Kafka({
      clientId: 'kafka-local-smoke',
      brokers: brokers.split(','),
      logLevel: logLevel.WARN,
    });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  function newConsumer(): Consumer {
    // maxWaitTimeInMs: disconnect() waits for the in-flight fetch, which the broker holds up to this long.
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 200,
    });
    consumers.push(consumer);
    return consumer;
  }

  it('uses the broker address the global setup exported', () => {
    expect(brokers).toMatch(/^[^,:]+:\d+(,[^,:]+:\d+)*$/);
  });

  it('creates a topic', async () => {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    expect(await admin.listTopics()).toContain(topic);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(1);
  });

  it('produces with acks=all through an idempotent producer', async () => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      const result = await producer.send({
        topic,
        acks: -1,
        messages: [0, 1, 2, 3, 4].map((i) => ({ key: 'k', value: `m${i}` })),
      });
      expect(result).toEqual([
        expect.objectContaining({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' }),
      ]);
    } finally {
      await producer.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, low: '0', high: '5' })]);
  });

  it('consumes in a group with manual commits; a restarted consumer resumes after the committed offset', async () => {
    // First consumer: reads everything, but commits only up to m2 (next offset to read = 3).
    const first = newConsumer();
    const seen: Received[] = [];
    await first.connect();
    await first.subscribe({ topics: [topic], fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        seen.push({ offset: message.offset, value: valueOf(message) });
      },
    });
    await waitFor('the first consumer to read 5 messages', () => seen.length >= 5);
    expect(seen.map((m) => m.value)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await first.commitOffsets([{ topic, partition: 0, offset: '3' }]);

    // The group as the admin API sees it while its member is connected.
    await waitFor('the group to be stable', async () => {
      const { groups } = await admin.describeGroups([groupId]);
      return groups[0]?.state === 'Stable';
    });
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toEqual(
      expect.objectContaining({ groupId, state: 'Stable', protocolType: 'consumer' }),
    );
    expect(groups[0].members).toHaveLength(1);
    const listed = await admin.listGroups();
    expect(listed.groups).toContainEqual(expect.objectContaining({ groupId, protocolType: 'consumer' }));

    await first.disconnect();
    // autoCommit=false: disconnecting must not have committed m3/m4.
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed).toEqual([
      { topic, partitions: [expect.objectContaining({ partition: 0, offset: '3' })] },
    ]);

    // Second consumer in the same group: fromBeginning only applies without a committed offset, so it must
    // start at offset 3, not 0.
    const second = newConsumer();
    const resumed: Received[] = [];
    await second.connect();
    await second.subscribe({ topics: [topic], fromBeginning: true });
    await second.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        resumed.push({ offset: message.offset, value: valueOf(message) });
      },
    });
    await waitFor('the restarted consumer to read 2 messages', () => resumed.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything re-delivered would show up now
    expect(resumed).toEqual([
      { offset: '3', value: 'm3' },
      { offset: '4', value: 'm4' },
    ]);
    await second.disconnect();
  });
});
