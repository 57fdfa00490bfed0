import { randomBytes } from 'node:crypto';
import {
  type AltinnCloudEvent,
  type DeliveryReport,
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
import { TopicTail, plainKafkaConfig } from '../../testing';
import { DeadLetterAdmin, readTopic } from './dead-letter-admin';
import { PermanentDeliveryError, TransientDeliveryError } from './delivery-errors';
import { SqliteIdempotencyStore } from './idempotency/sqlite-idempotency-store';
import { DeliveryPipeline, type DeliveryPipelineOptions, pipelineGroupId } from './delivery-pipeline';
import type { DeliveryResult, PipelineMessageInfo, Sink } from './sink';
import { until } from '@broker-events/testing';

const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
const kafkaCfg = plainKafkaConfig(brokers);
const kafka = createKafka(kafkaCfg, 'pipeline-spec');
const run = randomBytes(3).toString('hex');
let seq = 0;

/** What the scripted sink does with an event, by event id. */
type Script = (event: AltinnCloudEvent, attempt: number) => void | Promise<void>;

class ScriptedSink implements Sink {
  /** What the sink says it did, by event id (the delivery report's detail). */
  details = new Map<string, string>();
  readonly calls: { id: string; resourceinstance?: string; attempt: number; topic: string; at: number }[] =
    [];
  script: Script = () => undefined;

  async deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<DeliveryResult | undefined> {
    this.calls.push({
      id: event.id,
      resourceinstance: event.resourceinstance,
      attempt: info.attempt,
      topic: info.topic,
      at: Date.now(),
    });
    await this.script(event, info.attempt);
    const detail = this.details.get(event.id);
    return detail === undefined ? undefined : { detail };
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

let reports: TopicTail;

/** The delivery reports one test's consumer wrote, parsed, in the order they were read. */
function reportsOf(consumer: string): DeliveryReport[] {
  return reports
    .on(TOPICS.deliveries)
    .map((m) => JSON.parse(m.value?.toString('utf8') ?? 'null') as DeliveryReport)
    .filter((r) => r.consumer === consumer);
}

beforeAll(async () => {
  expect(brokers.length).toBeGreaterThan(0);
  await publisher.connect();
  reports = await TopicTail.start(brokers.join(','), [TOPICS.deliveries]);
});

afterEach(async () => {
  for (const h of [...open]) await stop(h);
});

afterAll(async () => {
  await reports.stop();
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

  describe('delivery reports', () => {
    const at = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const about = (e: AltinnCloudEvent) => ({
      eventSource: e.source,
      eventId: e.id,
      eventType: canonicalEventType(e.type),
      fileTransferId: e.resourceinstance ?? null,
    });

    it('reports each outcome once per attempt, keyed by file transfer, before the offset is committed', async () => {
      const h = await start({
        filter: { exact: { role: 'Recipient' } },
        idempotency: new SqliteIdempotencyStore(':memory:'),
        reportFiltered: true,
      });
      const delivered = sampleEvent();
      const filtered = sampleEvent({
        data: { Role: 'Sender' },
        subject: 'urn:altinn:organization:identifier-no:311000004',
      });
      const duplicate = sampleEvent();
      const flaky = sampleEvent(); // fails twice (in place, then parked), delivered from the retry topic
      const rejected = sampleEvent();
      h.sink.details.set(delivered.id, 'posted to #broker');
      h.sink.details.set(duplicate.id, 'emailed to a@example.no');
      h.sink.script = (e, attempt) => {
        if (e.id === flaky.id && attempt < 3) throw new TransientDeliveryError(`busy ${attempt}`);
        if (e.id === rejected.id) throw new PermanentDeliveryError('mailbox unavailable');
      };
      const poison: KafkaRecord = {
        topic: h.topic,
        key: 'poison-transfer',
        value: Buffer.from('{not json'),
        headers: {
          [HEADERS.type]: 'no.altinn.broker.published',
          [HEADERS.id]: 'poison-1',
          [HEADERS.role]: 'Recipient',
        },
      };
      await send(h.topic, delivered, filtered, duplicate, duplicate, flaky, rejected);
      await publisher.publish([poison]);
      await until(
        'source and retry offsets committed',
        async () => {
          const src = await committed(h.server.groupId, h.topic);
          const retry = await committed(h.server.groupId, h.server.retryTopicName);
          return src[0] === '7' && retry[0] === '1';
        },
        30_000,
      );
      // Every report was acknowledged before its offset was committed: all 9 are on the topic now.
      await reports.caughtUp();
      const dead = await new DeadLetterAdmin(kafka, h.consumer).list();
      expect(dead.map((d) => d.originalOffset)).toEqual(['5', '6']);
      const byEvent = (id: string) =>
        reportsOf(h.consumer)
          .filter((r) => r.eventId === id)
          .map(({ consumer, ...r }) => (expect(consumer).toBe(h.consumer), r));
      expect(reportsOf(h.consumer)).toHaveLength(9);
      expect(byEvent(delivered.id)).toEqual([
        {
          ...about(delivered),
          outcome: 'delivered',
          detail: 'posted to #broker',
          error: null,
          attempt: 1,
          deadLetter: null,
          at,
        },
      ]);
      expect(byEvent(filtered.id)).toEqual([
        {
          ...about(filtered),
          outcome: 'skipped',
          detail: null,
          error: 'filter: not for this consumer',
          attempt: 1,
          deadLetter: null,
          at,
        },
      ]);
      expect(byEvent(duplicate.id)).toEqual([
        {
          ...about(duplicate),
          outcome: 'delivered',
          detail: 'emailed to a@example.no',
          error: null,
          attempt: 1,
          deadLetter: null,
          at,
        },
        {
          ...about(duplicate),
          outcome: 'skipped',
          detail: null,
          error: 'duplicate: already delivered',
          attempt: 1,
          deadLetter: null,
          at,
        },
      ]);
      expect(byEvent(flaky.id)).toEqual([
        {
          ...about(flaky),
          outcome: 'retry',
          detail: null,
          error: 'busy 1',
          attempt: 1,
          deadLetter: null,
          at,
        },
        {
          ...about(flaky),
          outcome: 'retry',
          detail: null,
          error: 'busy 2',
          attempt: 2,
          deadLetter: null,
          at,
        },
        {
          ...about(flaky),
          outcome: 'delivered',
          detail: null,
          error: null,
          attempt: 3,
          deadLetter: null,
          at,
        },
      ]);
      expect(byEvent(rejected.id)).toEqual([
        {
          ...about(rejected),
          outcome: 'dead-lettered',
          detail: null,
          error: 'mailbox unavailable',
          attempt: 1,
          deadLetter: {
            topic: h.server.deadLetterTopicName,
            partition: dead[0].partition,
            offset: dead[0].offset,
          },
          at,
        },
      ]);
      expect(byEvent('poison-1')).toEqual([
        {
          eventSource: '',
          eventId: 'poison-1',
          eventType: 'no.altinn.broker.published',
          fileTransferId: 'poison-transfer',
          outcome: 'dead-lettered',
          detail: null,
          error: expect.stringMatching(/^invalid event: /),
          attempt: 1,
          deadLetter: {
            topic: h.server.deadLetterTopicName,
            partition: dead[1].partition,
            offset: dead[1].offset,
          },
          at,
        },
      ]);
      // keyed by the file transfer id, so one transfer's reports share a partition and stay in order
      const records = reports.on(TOPICS.deliveries).filter((m) => m.value?.toString().includes(h.consumer));
      for (const m of records) {
        const r = JSON.parse(m.value?.toString('utf8') ?? '') as DeliveryReport;
        expect(m.key).toBe(r.fileTransferId ?? r.eventId);
      }
      expect(await counter(h.metrics, 'pipeline_reports_failed_total')).toBe(0);
    });

    it('writes no reports with reports: false, nor about records of the deliveries topic', async () => {
      const quiet = await start({ reports: false });
      const event = sampleEvent();
      await send(quiet.topic, event);
      await until('delivered', () => quiet.sink.delivered(event.id) === 1);
      await until('committed', async () => (await committed(quiet.server.groupId, quiet.topic))[0] === '1');

      const onDeliveries = await start({ sourceTopics: [TOPICS.deliveries], fromBeginning: false });
      const marker = sampleEvent();
      await send(TOPICS.deliveries, marker);
      await until('marker delivered', () => onDeliveries.sink.delivered(marker.id) === 1);
      await until('marker committed', async () => {
        const offsets = await committed(onDeliveries.server.groupId, TOPICS.deliveries);
        return Object.values(offsets).some((o) => Number(o) > 0);
      });
      await reports.caughtUp();
      expect(reportsOf(quiet.consumer)).toEqual([]);
      expect(reportsOf(onDeliveries.consumer)).toEqual([]);
    });

    it('by default reports no record its filter skipped, only those it handled', async () => {
      const h = await start({ filter: { exact: { role: 'Recipient' } } });
      const wanted = sampleEvent();
      const unwanted = sampleEvent({
        data: { Role: 'Sender' },
        subject: 'urn:altinn:organization:identifier-no:311000004',
      });
      await send(h.topic, unwanted, wanted);
      await until('both committed', async () => (await committed(h.server.groupId, h.topic))[0] === '2');
      await reports.caughtUp();
      expect(reportsOf(h.consumer).map((r) => [r.eventId, r.outcome])).toEqual([[wanted.id, 'delivered']]);
      expect(await counter(h.metrics, 'pipeline_skipped_total')).toBe(1);
    });

    it('a report that cannot be written is counted and logged, and the event is not delivered again', async () => {
      const unreachable = createKafka(
        plainKafkaConfig(['127.0.0.1:1'], {
          KAFKA_CONNECTION_TIMEOUT_MS: 300,
          KAFKA_REQUEST_TIMEOUT_MS: 1000,
        }),
        'unreachable',
      );
      const warnings: string[] = [];
      const logger = {
        debug: () => undefined,
        info: () => undefined,
        warn: (_: object, msg?: string) => void warnings.push(msg ?? ''),
        error: () => undefined,
      };
      const consumer = `t${run}-noreport`;
      const topic = `${TOPICS.events}.t${run}-noreport`;
      const h = await start({ consumer, topic, reportKafka: unreachable, logger });
      const events = [sampleEvent(), sampleEvent()];
      await send(topic, ...events);
      await until(
        'both committed',
        async () => (await committed(h.server.groupId, topic))[0] === '2',
        60_000,
      );
      for (const e of events) expect(h.sink.delivered(e.id)).toBe(1);
      expect(await counter(h.metrics, 'pipeline_reports_failed_total')).toBe(2);
      expect(warnings.filter((w) => w === 'could not publish the delivery report')).toHaveLength(2);
      await stop(h);

      // A restart of the same consumer (group) does not deliver them again.
      const h2 = await start({ consumer, topic });
      const next = sampleEvent();
      await send(topic, next);
      await until('next delivered', () => h2.sink.delivered(next.id) === 1);
      await until('next committed', async () => (await committed(h2.server.groupId, topic))[0] === '3');
      for (const e of events) expect(h2.sink.delivered(e.id)).toBe(0);
      await reports.caughtUp();
      expect(reportsOf(consumer).map((r) => [r.eventId, r.outcome])).toEqual([[next.id, 'delivered']]);
    });
  });
});
