import { randomBytes } from 'node:crypto';
import {
  type AltinnCloudEvent,
  HEADERS,
  type KafkaRecord,
  TOPICS,
  canonicalEventType,
  toKafkaRecord,
} from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import { Registry } from 'prom-client';
import { createKafka } from '../kafka-config';
import { CoalescingPublisher } from '../publisher';
import { ensureTopics } from '../topics-admin';
import { plainKafkaConfig } from '../../testing';
import { DeadLetterAdmin, readTopic } from './dead-letter-admin';
import { PermanentDeliveryError, TransientDeliveryError } from './delivery-errors';
import { SqliteIdempotencyStore } from './idempotency/sqlite-idempotency-store';
import { DeliveryPipeline, type DeliveryPipelineOptions, pipelineGroupId } from './delivery-pipeline';
import type { PipelineMessageInfo, Sink } from './sink';
import { until } from '@broker-events/testing';

const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
const kafkaCfg = plainKafkaConfig(brokers);
const kafka = createKafka(kafkaCfg, 'pipeline-spec');
const run = randomBytes(3).toString('hex');
let seq = 0;

/** What the scripted sink does with an event, by event id. */
type Script = (event: AltinnCloudEvent, attempt: number) => void | Promise<void>;

class ScriptedSink implements Sink {
  readonly calls: { id: string; resourceinstance?: string; attempt: number; topic: string; at: number }[] =
    [];
  script: Script = () => undefined;

  async deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<void> {
    this.calls.push({
      id: event.id,
      resourceinstance: event.resourceinstance,
      attempt: info.attempt,
      topic: info.topic,
      at: Date.now(),
    });
    await this.script(event, info.attempt);
  }

  delivered(id: string): number {
    return this.calls.filter((c) => c.id === id).length;
  }
}

interface Harness {
  server: DeliveryPipeline;
  sink: ScriptedSink;
  topic: string;
  consumer: string;
  metrics: Registry;
}

const open: Harness[] = [];
const publisher = new CoalescingPublisher(kafka);

async function start(
  options: Partial<DeliveryPipelineOptions> & { partitions?: number; topic?: string; consumer?: string } = {},
): Promise<Harness> {
  seq++;
  const consumer = options.consumer ?? `t${run}-${seq}`;
  const topic = options.topic ?? `${TOPICS.events}.t${run}-${seq}`;
  await ensureTopics(kafka, [{ topic, partitions: options.partitions ?? 1, replicationFactor: 1 }]);
  const metrics = new Registry();
  const sink = new ScriptedSink();
  const server = new DeliveryPipeline({
    consumer,
    kafka,
    sink,
    sourceTopics: [topic],
    createTopics: { partitions: 1, replicationFactor: 1 },
    retry: { inPlaceAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 100, retryTopicDelaysMs: [200, 200] },
    metrics,
    maxWaitTimeMs: 200,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    ...options,
  });
  await server.start();
  const h = { server, sink, topic, consumer, metrics };
  open.push(h);
  return h;
}

async function stop(h: Harness): Promise<void> {
  open.splice(open.indexOf(h), 1);
  await h.server.close();
}

function record(event: AltinnCloudEvent, topic: string): KafkaRecord {
  return { ...toKafkaRecord(event, canonicalEventType(event.type)), topic };
}

async function send(topic: string, ...events: AltinnCloudEvent[]): Promise<void> {
  await publisher.publish(events.map((e) => record(e, topic)));
}

async function committed(groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

async function counter(
  metrics: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  return data.values
    .filter((v) =>
      Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val),
    )
    .reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  expect(brokers.length).toBeGreaterThan(0);
  await publisher.connect();
});

afterEach(async () => {
  for (const h of [...open]) await stop(h);
});

afterAll(async () => {
  await publisher.close();
});

describe('DeliveryPipeline', () => {
  it('delivers each event once, in order per file transfer, and commits every offset', async () => {
    const h = await start({ partitions: 3, concurrency: 8 });
    const transfers = ['a', 'b', 'c', 'd'].map(() => sampleEvent().resourceinstance as string);
    const events = transfers.flatMap((t) =>
      Array.from({ length: 5 }, () => sampleEvent({ resourceinstance: t })),
    );
    h.sink.script = async () => {
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
    };
    await send(h.topic, ...events);
    await until('all delivered', () => events.every((e) => h.sink.delivered(e.id) >= 1));
    for (const e of events) expect(h.sink.delivered(e.id)).toBe(1);
    for (const t of transfers) {
      const sent = events.filter((e) => e.resourceinstance === t).map((e) => e.id);
      const seen = h.sink.calls.filter((c) => c.resourceinstance === t).map((c) => c.id);
      expect(seen).toEqual(sent);
    }
    await until('offsets committed', async () => {
      const offsets = await committed(h.server.groupId, h.topic);
      const total = Object.values(offsets).reduce((s, o) => s + Math.max(0, Number(o)), 0);
      return total === events.length;
    });
    expect(h.server.groupId).toBe(`${h.consumer}-server`);
    expect(pipelineGroupId('email')).toBe('email-server');
    expect(await counter(h.metrics, 'pipeline_delivered_total')).toBe(events.length);
  });

  it('skips what the filter rejects, on headers alone, and still commits past it', async () => {
    const h = await start({ filter: { exact: { role: 'Sender' } } });
    const recipient = sampleEvent();
    const sender = sampleEvent({
      data: { Role: 'Sender' },
      subject: 'urn:altinn:organization:identifier-no:311000004',
    });
    await send(h.topic, recipient, sender);
    await until('sender delivered', () => h.sink.delivered(sender.id) === 1);
    await until('both committed', async () => (await committed(h.server.groupId, h.topic))[0] === '2');
    expect(h.sink.delivered(recipient.id)).toBe(0);
    expect(await counter(h.metrics, 'pipeline_skipped_total', { reason: 'filter' })).toBe(1);
  });

  it('with an idempotency store, a redelivered event is delivered only once, also across a restart', async () => {
    const consumer = `t${run}-idem`;
    const topic = `${TOPICS.events}.t${run}-idem`;
    const store = () => new SqliteIdempotencyStore(`/tmp/pipeline-spec-${run}/idem.sqlite`);
    const h = await start({ consumer, topic, idempotency: store() });
    const event = sampleEvent();
    await send(topic, event, event);
    await until('two records handled', async () => (await committed(h.server.groupId, topic))[0] === '2');
    expect(h.sink.delivered(event.id)).toBe(1);
    expect(await counter(h.metrics, 'pipeline_skipped_total', { reason: 'duplicate' })).toBe(1);
    await stop(h);

    // A new instance of the same consumer (a restart) sees the same event again on the topic.
    const h2 = await start({ consumer, topic, idempotency: store() });
    await send(topic, event);
    await until('third record handled', async () => (await committed(h2.server.groupId, topic))[0] === '3');
    expect(h2.sink.delivered(event.id)).toBe(0);
  });

  it('prunes idempotency entries past their retention before consuming', async () => {
    const store = new SqliteIdempotencyStore(':memory:');
    await store.init();
    const event = sampleEvent();
    const consumer = `t${run}-prune`;
    await store.remember(consumer, { source: event.source, id: event.id });
    expect(await store.seen(consumer, { source: event.source, id: event.id })).toBe(true);
    const h = await start({ consumer, idempotency: store, idempotencyRetentionMs: 0 });
    await send(h.topic, event);
    await until('delivered again: the old entry was pruned', () => h.sink.delivered(event.id) === 1);
  });

  it('retries a transient failure in place, then via the retry topic, then dead-letters it with full metadata', async () => {
    const h = await start();
    const failing = sampleEvent();
    const fine = sampleEvent({ resourceinstance: failing.resourceinstance });
    h.sink.script = (e) => {
      if (e.id === failing.id) throw new TransientDeliveryError('sink answered 503');
    };
    await send(h.topic, failing, fine);
    const admin = new DeadLetterAdmin(kafka, h.consumer);
    await until('dead-lettered', async () => (await admin.list()).length === 1, 30_000);
    // 2 calls in place × (1 first round + 2 retry-topic rounds)
    expect(h.sink.delivered(failing.id)).toBe(6);
    expect(h.sink.calls.filter((c) => c.id === failing.id).map((c) => c.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.sink.calls.filter((c) => c.id === failing.id).map((c) => c.topic)).toEqual([
      h.topic,
      h.topic,
      h.server.retryTopicName,
      h.server.retryTopicName,
      h.server.retryTopicName,
      h.server.retryTopicName,
    ]);
    // the partition was not held up: the next event of the same transfer went through at once
    expect(h.sink.delivered(fine.id)).toBe(1);

    const [dead] = await admin.list();
    const original = record(failing, h.topic);
    expect(dead.key).toBe(original.key);
    expect(dead.value.equals(original.value)).toBe(true);
    for (const [name, value] of Object.entries(original.headers)) expect(dead.headers[name]).toBe(value);
    expect(dead).toMatchObject({
      consumer: h.consumer,
      error: 'sink answered 503',
      failure: 'transient',
      attempts: 6,
      originalTopic: h.topic,
      originalPartition: 0,
      originalOffset: '0',
    });
    expect(Date.parse(dead.firstFailedAt ?? '')).toBeLessThanOrEqual(Date.parse(dead.lastFailedAt ?? ''));
    expect(dead.headers[HEADERS.deliveryRound]).toBe('2');
    expect(await counter(h.metrics, 'pipeline_retried_total', { stage: 'in_place' })).toBe(3);
    expect(await counter(h.metrics, 'pipeline_retried_total', { stage: 'retry_topic' })).toBe(2);
    expect(await counter(h.metrics, 'pipeline_dead_lettered_total', { reason: 'exhausted' })).toBe(1);
    await until('source and retry offsets committed', async () => {
      const src = await committed(h.server.groupId, h.topic);
      const retry = await committed(h.server.groupId, h.server.retryTopicName);
      return src[0] === '2' && retry[0] === '2';
    });
  });

  it('delivers an event that succeeds on a retry-topic round, once', async () => {
    const h = await start();
    const event = sampleEvent();
    h.sink.script = (e, attempt) => {
      if (e.id === event.id && attempt < 3) throw new Error('connection reset');
    };
    await send(h.topic, event);
    await until('delivered', () => h.sink.calls.some((c) => c.id === event.id && c.attempt === 3));
    await until(
      'retry offset committed',
      async () => (await committed(h.server.groupId, h.server.retryTopicName))[0] === '1',
    );
    expect(h.sink.delivered(event.id)).toBe(3);
    expect(await new DeadLetterAdmin(kafka, h.consumer).list()).toEqual([]);
  });

  it('dead-letters a permanent failure at once, and a poison record does not stall its partition', async () => {
    const h = await start();
    const rejected = sampleEvent();
    const after = sampleEvent();
    h.sink.script = (e) => {
      if (e.id === rejected.id) throw new PermanentDeliveryError('sink answered 400 invalid_payload');
    };
    const poison: KafkaRecord = {
      topic: h.topic,
      key: 'poison',
      value: Buffer.from('{not json'),
      headers: { [HEADERS.type]: 'no.altinn.broker.published' },
    };
    await publisher.publish([poison]);
    await send(h.topic, rejected, after);
    await until('after delivered', () => h.sink.delivered(after.id) === 1);
    const admin = new DeadLetterAdmin(kafka, h.consumer);
    await until('two dead letters', async () => (await admin.list()).length === 2);
    const dead = await admin.list();
    expect(dead.map((d) => [d.originalOffset, d.failure, d.attempts])).toEqual([
      ['0', 'invalid', 0],
      ['1', 'permanent', 1],
    ]);
    expect(dead[0].value.toString()).toBe('{not json');
    expect(dead[0].error).toMatch(/^invalid event: /);
    expect(h.sink.delivered(rejected.id)).toBe(1);
    await until(
      'committed past all three',
      async () => (await committed(h.server.groupId, h.topic))[0] === '3',
    );
  });

  it('re-drives a dead letter to its original topic, where it is delivered', async () => {
    const h = await start();
    const event = sampleEvent();
    let broken = true;
    h.sink.script = (e) => {
      if (e.id === event.id && broken) throw new PermanentDeliveryError('mailbox unavailable');
    };
    await send(h.topic, event);
    const admin = new DeadLetterAdmin(kafka, h.consumer);
    await until('dead-lettered', async () => (await admin.list()).length === 1);
    broken = false;
    const [dead] = await admin.list();
    const result = await admin.redrive([{ partition: dead.partition, offset: dead.offset }]);
    expect(result).toEqual([{ topic: admin.topic, partition: 0, offset: '0', to: h.topic }]);
    await until('delivered after re-drive', () => h.sink.delivered(event.id) === 2);
    const onTopic = await readTopic(kafka, h.topic);
    expect(onTopic).toHaveLength(2);
    expect(onTopic[1].headers[HEADERS.deliveryRedriveCount]).toBe('1');
    expect(onTopic[1].headers[HEADERS.deliveryError]).toBeUndefined();
  });

  it('keeps heartbeating while a delivery runs longer than the session timeout: no rebalance, one delivery', async () => {
    const h = await start({ sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
    let rebalances = 0;
    h.server.on('rebalancing', () => rebalances++);
    const slow = sampleEvent();
    h.sink.script = async () => {
      await new Promise((r) => setTimeout(r, 8_000));
    };
    await send(h.topic, slow);
    await until('committed', async () => (await committed(h.server.groupId, h.topic))[0] === '1', 30_000);
    expect(h.sink.delivered(slow.id)).toBe(1);
    expect(rebalances).toBe(0);
  });

  it('drains on close: the slow delivery in flight finishes and its offset is committed', async () => {
    const h = await start();
    const slow = sampleEvent();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    h.sink.script = async (e) => {
      if (e.id === slow.id) await released;
    };
    await send(h.topic, slow);
    await until('slow delivery started', () => h.sink.calls.length === 1);
    expect(h.server.isReady()).toBe(true);
    const closing = stop(h);
    await until('drain started', () => !h.server.isReady());
    release();
    await closing;
    expect((await committed(h.server.groupId, h.topic))[0]).toBe('1');
  });
});
