import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { HEADERS, type KafkaRecord } from '@broker-events/contracts';
import { createLogger } from '@broker-events/observability';
import { until } from '@broker-events/testing';
import { logLevel } from 'kafkajs';
import { TopicTail, plainKafkaConfig } from '../../testing';
import { kafkajsLogCreator } from '../kafka-config';
import { EventProducer } from './event-producer';
import type { ProducerConfig } from './producer.config';

const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);

/** A logger whose JSON lines are kept in `lines`. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('test', 'info', stream), lines };
}

function config(overrides: Partial<ProducerConfig> = {}): ProducerConfig {
  return {
    ...plainKafkaConfig(brokers, { KAFKA_CONNECTION_TIMEOUT_MS: 1000, KAFKA_REQUEST_TIMEOUT_MS: 5000 }),
    KAFKA_CLIENT_ID: 'event-producer-spec',
    KAFKA_CREATE_TOPICS: true,
    KAFKA_TOPIC_PARTITIONS: 2,
    KAFKA_TOPIC_REPLICATION_FACTOR: 1,
    PUBLISH_TIMEOUT_MS: 10_000,
    ...overrides,
  };
}

const record = (topic: string, key: string): KafkaRecord => ({
  topic,
  key,
  value: Buffer.from(`{"id":"${key}"}`),
  headers: {},
});

describe('EventProducer against Kafka', () => {
  const run = randomBytes(4).toString('hex');
  const topics = [`producer-spec-${run}`, `producer-spec-${run}.quarantine`];

  it('creates its topics, turns ready, and publishes with acks=all, observed and timed', async () => {
    const { logger, lines } = capturingLogger();
    const batches: number[] = [];
    const published: boolean[] = [];
    const producer = new EventProducer(
      {
        config: config(),
        topics,
        observer: {
          batch: (records, _s, ok) => ok && batches.push(records),
          published: (_s, ok) => published.push(ok),
        },
      },
      logger,
    );
    await producer.start();
    await until('the producer is ready', () => producer.ready(), 20_000);
    const tail = await TopicTail.start(brokers.join(','), topics);
    try {
      await producer.publish([record(topics[0], 'a'), record(topics[1], 'b')]);
      await tail.caughtUp();
      expect(tail.on(topics[0]).map((m) => m.key)).toEqual(['a']);
      expect(tail.on(topics[1]).map((m) => m.key)).toEqual(['b']);
      expect(batches).toEqual([2]);
      expect(published).toEqual([true]);
      expect(lines.find((l) => l['message'] === 'created topics')?.['topics']).toEqual(topics);
      // Without tracing (as here) a traced publish adds no header and still writes.
      const traced = record(topics[0], 'c');
      await producer.publish([traced], { topic: topics[0] });
      expect(traced.headers[HEADERS.traceparent]).toBeUndefined();
    } finally {
      await tail.stop();
      await producer.close();
    }
    await expect(producer.publish([record(topics[0], 'late')])).rejects.toThrow('closed');
  }, 60_000);

  it('stays not ready while its topics cannot be created, says so, and logs what kafkajs reports', async () => {
    const { logger, lines } = capturingLogger();
    // Nothing listens on port 1: every attempt fails fast.
    const producer = new EventProducer(
      { config: config({ KAFKA_BROKERS: ['127.0.0.1:1'], PUBLISH_TIMEOUT_MS: 2000 }), topics },
      logger,
    );
    try {
      await producer.start();
      expect(lines.some((l) => l['message'] === 'could not ensure topics; retrying in 5 s')).toBe(true);
      expect(await producer.ready()).toBe(false);
      // kafkajs's own error lines arrive in the app's log, marked as kafkajs's.
      await until('a kafkajs line in the log', () => lines.some((l) => l['component'] === 'kafkajs'));
      const line = lines.find((l) => l['component'] === 'kafkajs');
      expect(line?.['level']).toBe('error');
      expect(typeof line?.['kafkajs']).toBe('string');
    } finally {
      await producer.close();
    }
  }, 60_000);

  it('with KAFKA_CREATE_TOPICS off, is ready only while its topics exist', async () => {
    const { logger } = capturingLogger();
    const producer = new EventProducer(
      { config: config({ KAFKA_CREATE_TOPICS: false }), topics: [`producer-spec-${run}.missing`] },
      logger,
    );
    try {
      await producer.start();
      expect(await producer.ready()).toBe(false);
    } finally {
      await producer.close();
    }
  }, 30_000);
});

describe('kafkajsLogCreator', () => {
  it('passes warnings and errors on at their level, without SASL settings or the password anywhere', () => {
    const { logger, lines } = capturingLogger();
    const log = kafkajsLogCreator(logger, 's3cret-pw')(logLevel.WARN);
    const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) =>
      log({
        namespace: 'Connection',
        level,
        label: 'X',
        log: { timestamp: 't', logger: 'kafkajs', message, ...extra },
      });
    entry(logLevel.ERROR, 'SASL authentication failed with s3cret-pw', {
      broker: 'b:9092',
      sasl: { mechanism: 'plain', username: 'u', password: 's3cret-pw' },
      nested: { detail: 'password was s3cret-pw' },
    });
    entry(logLevel.WARN, 'Response without match', { correlationId: 7 });
    entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees');
    expect(lines.map((l) => [l['level'], l['message']])).toEqual([
      ['error', 'SASL authentication failed with [redacted]'],
      ['warn', 'Response without match'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cret-pw');
    expect(lines[0]).toMatchObject({
      component: 'kafkajs',
      kafkajs: 'Connection',
      broker: 'b:9092',
      sasl: '[redacted]',
    });
    expect(lines[1]).toMatchObject({ correlationId: 7 });
  });
});
