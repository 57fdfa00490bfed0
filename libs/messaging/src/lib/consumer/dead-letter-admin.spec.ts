import { randomBytes } from 'node:crypto';
import { deadLetterTopic } from '@broker-events/contracts';
import { createKafka } from '../kafka-config';
import { CoalescingPublisher } from '../publisher';
import { ensureTopics } from '../topics-admin';
import { plainKafkaConfig } from '../../testing';
import { DeadLetterAdmin } from './dead-letter-admin';

const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
const kafka = createKafka(plainKafkaConfig(brokers), 'dead-letter-admin-spec');
const publisher = new CoalescingPublisher(kafka);

beforeAll(() => publisher.connect());
afterAll(() => publisher.close());

/** Publishes one dead letter per key, after the clock has moved past everything published before. */
async function deadLetters(topic: string, keys: string[]): Promise<void> {
  const before = Date.now();
  while (Date.now() <= before) await new Promise((r) => setTimeout(r, 1));
  await publisher.publish(keys.map((key) => ({ topic, key, value: Buffer.from('{}'), headers: {} })));
}

describe('DeadLetterAdmin.listNewest', () => {
  it('lists the newest dead letters of every partition, oldest first, however many the topic holds', async () => {
    const consumer = `dlq-newest-${randomBytes(3).toString('hex')}`;
    const topic = deadLetterTopic(consumer);
    await ensureTopics(kafka, [{ topic, partitions: 3, replicationFactor: 1 }]);
    const older = Array.from({ length: 30 }, (_, i) => `older-${i}`);
    const newer = ['newer-0', 'newer-1', 'newer-2', 'newer-3'];
    await deadLetters(topic, older);
    await deadLetters(topic, newer);
    const admin = new DeadLetterAdmin(kafka, consumer);

    const newest = await admin.listNewest(4);
    expect(newest.map((d) => d.key).sort()).toEqual(newer);
    const times = newest.map((d) => Number(d.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Fewer than asked for: all of them, the older ones first.
    const all = await admin.listNewest(100);
    expect(all).toHaveLength(34);
    expect(
      all
        .slice(-4)
        .map((d) => d.key)
        .sort(),
    ).toEqual(newer);
    // The oldest-first listing is what the console showed before, and it misses the newest.
    expect((await admin.list(4)).map((d) => d.key)).not.toEqual(expect.arrayContaining(newer));
  });

  it('reads the dead letters at given positions, and only those, wherever they are in the topic', async () => {
    const consumer = `dlq-at-${randomBytes(3).toString('hex')}`;
    const topic = deadLetterTopic(consumer);
    await ensureTopics(kafka, [{ topic, partitions: 2, replicationFactor: 1 }]);
    await deadLetters(
      topic,
      Array.from({ length: 40 }, (_, i) => `k-${i}`),
    );
    const admin = new DeadLetterAdmin(kafka, consumer);
    const every = await admin.list(1000);
    const [p0, p1] = [0, 1].map((p) => every.filter((d) => d.partition === p));
    expect(p0.length).toBeGreaterThan(2);
    expect(p1.length).toBeGreaterThan(0);
    const wanted = [p0[0], p0[p0.length - 1], p1[p1.length - 1]];
    const found = await admin.at([
      ...wanted.map((d) => ({ partition: d.partition, offset: d.offset })),
      { partition: 0, offset: '999999' },
    ]);
    expect(found.map((d) => `${d.partition}:${d.offset}:${d.key}`).sort()).toEqual(
      wanted.map((d) => `${d.partition}:${d.offset}:${d.key}`).sort(),
    );
    expect(await admin.inspect(1, '999999')).toBeUndefined();
    await expect(admin.redrive([{ partition: 0, offset: '999999' }])).rejects.toThrow('No dead letter at');
  });
});
