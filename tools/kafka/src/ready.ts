import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

function probeClient(brokers: string): Kafka {
  return new Kafka({
    clientId: 'kafka-local-ready',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
  });
}

/**
 * One readiness probe. Throws on any failure; the caller polls until it passes.
 * 1. A kafkajs admin client connects, lists topics, creates and deletes a throw-away topic: the controller,
 *    metadata propagation and partition leadership work.
 * 2. The group coordinator answers DescribeGroups: __consumer_offsets exists and is loaded (it is created on
 *    first use; until loaded, consumers get "The coordinator is loading" and kafkajs restarts them).
 * 3. An idempotent producer gets a producer id: the transaction coordinator (__transaction_state) is loaded.
 * Steps 2-3 take a few hundred ms on a fresh data dir and a few ms afterwards; they spare every test run the
 * first-use coordinator errors and retries.
 */
export async function probeBroker(brokers: string): Promise<void> {
  const kafka = probeClient(brokers);
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    const topic = `__kafka-local-ready-${randomBytes(4).toString('hex')}`;
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 10_000,
    });
    if (!created) throw new Error(`readiness topic ${topic} already existed`);
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });

    // kafkajs throws on a coordinator error code (e.g. COORDINATOR_LOAD_IN_PROGRESS).
    const { groups } = await admin.describeGroups(['__kafka-local-ready']);
    if (groups.length !== 1) throw new Error('group coordinator not ready');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  // kafkajs refuses an idempotent producer without retries; keep them short, the caller polls anyway.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
  try {
    await producer.connect();
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
