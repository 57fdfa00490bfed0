import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/**
 * One readiness probe: a kafkajs admin client connects, lists topics, and (when `roundTrip`) creates and
 * deletes a throw-away topic, so the controller, metadata propagation and partition leadership all work.
 * Throws on any failure.
 */
export async function probeBroker(brokers: string, roundTrip = true): Promise<void> {
  const kafka = new Kafka({
    clientId: 'kafka-local-ready',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    if (roundTrip) {
      const topic = `__kafka-local-ready-${randomBytes(4).toString('hex')}`;
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
        timeout: 10_000,
      });
      if (!created) throw new Error(`readiness topic ${topic} already existed`);
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
