import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@broker-events/config';
import { TOPICS, canonicalEventType, toKafkaRecord } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import {
  CoalescingPublisher,
  createKafka,
  ensureTopics,
  groupPositions,
  kafkaConfigSchema,
} from '@broker-events/messaging';
import { type ConsumerProcess, startConsumerProcess } from './support/consumer-process';
import { until } from '@broker-events/testing';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const run = randomBytes(3).toString('hex');
const consumer = `archive-restart-${run}`;
const topic = `${TOPICS.events}.archive-restart-${run}`;
const kafka = createKafka(
  loadConfig('archive-e2e', kafkaConfigSchema, { KAFKA_BROKERS: brokers }),
  'archive-e2e',
);
const EVENTS = 3000;

async function archived(p: ConsumerProcess, ids: string[]): Promise<number> {
  let n = 0;
  for (const id of ids) if ((await fetch(`${p.url}/archive/events/${id}`)).status === 200) n++;
  return n;
}

describe('archive consumer process', () => {
  it('stopped with SIGTERM in the middle of a backlog and started again, archives every event exactly once', async () => {
    expect(brokers).not.toBe('');
    await ensureTopics(kafka, [{ topic, partitions: 3, replicationFactor: 1 }]);
    const events = Array.from({ length: EVENTS }, () => sampleEvent());
    const publisher = new CoalescingPublisher(kafka);
    const publish = (batch: typeof events) =>
      publisher.publish(batch.map((e) => ({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic })));
    // Most of the backlog before the first start, the rest while it is stopped.
    const later = events.splice(EVENTS - 500);
    await publish(events);

    const env = {
      KAFKA_BROKERS: brokers,
      CONSUMER_NAME: consumer,
      CONSUMER_TOPICS: topic,
      KAFKA_TOPIC_PARTITIONS: '1',
      ARCHIVE_SQLITE_PATH: join(mkdtempSync(join(tmpdir(), 'archive-e2e-')), 'archive.sqlite'),
      // Small batches, so the backlog takes several and SIGTERM lands in the middle.
      ARCHIVE_BATCH_MAX_ROWS: '50',
      CONSUMER_CONCURRENCY: '50',
      ARCHIVE_QUERY_MAX_ROWS: '10000',
      LOG_LEVEL: 'info',
    };
    const one = await startConsumerProcess('archive', env);
    const sample = events.filter((_, i) => i % 100 === 0).map((e) => e.id);
    await until('some archived', async () => (await archived(one, sample)) > 0);
    one.child.kill('SIGTERM');
    expect(await one.exited).toEqual({ code: 0, signal: null });
    const committed = (await groupPositions(kafka, `${consumer}-server`, topic)).reduce(
      (sum, p) => sum + Math.max(0, Number(p.committed)),
      0,
    );
    expect(committed).toBeGreaterThan(0);
    await publish(later);
    await publisher.close();
    events.push(...later);

    const two = await startConsumerProcess('archive', env);
    try {
      await until('every offset committed', async () =>
        (await groupPositions(kafka, `${consumer}-server`, topic)).every((p) => p.lag === 0),
      );
      const everything = await fetch(
        `${two.url}/archive/events?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&on=received&limit=10000`,
      );
      expect(everything.status).toBe(200);
      const body = (await everything.json()) as { events: { id: string }[] };
      const ids = body.events.map((e) => e.id);
      expect(ids).toHaveLength(EVENTS);
      expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
    } finally {
      two.child.kill('SIGTERM');
      expect(await two.exited).toEqual({ code: 0, signal: null });
    }
  });
});
