import { randomBytes } from 'node:crypto';
import { loadConfig } from '@broker-events/config';
import {
  HEADERS,
  TOPICS,
  canonicalEventType,
  deadLetterTopic,
  toKafkaRecord,
} from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import {
  CoalescingPublisher,
  createKafka,
  ensureTopics,
  kafkaConfigSchema,
  readTopic,
} from '@broker-events/messaging';
import { parseArgs, runDlqCli } from './run';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const run = randomBytes(3).toString('hex');
const consumer = `dlq-cli-${run}`;
const source = `${TOPICS.events}.dlq-cli-${run}`;
const kafka = createKafka(loadConfig('dlq-spec', kafkaConfigSchema, { KAFKA_BROKERS: brokers }), 'dlq-spec');
const events = [
  sampleEvent(),
  sampleEvent({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' } }),
];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDlqCli(argv, {
    env: { KAFKA_BROKERS: brokers },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  await ensureTopics(
    kafka,
    [source, deadLetterTopic(consumer)].map((topic) => ({ topic, partitions: 1, replicationFactor: 1 })),
  );
  const publisher = new CoalescingPublisher(kafka);
  // Dead letters as the pipeline writes them: the original record plus the delivery headers.
  await publisher.publish(
    events.map((e, i) => {
      const original = toKafkaRecord(e, canonicalEventType(e.type));
      return {
        ...original,
        topic: deadLetterTopic(consumer),
        headers: {
          ...original.headers,
          [HEADERS.deliveryConsumer]: consumer,
          [HEADERS.deliveryAttempt]: String(3 + i),
          [HEADERS.deliveryError]: `SMTP 550: mailbox ${i} unavailable`,
          [HEADERS.deliveryFirstFailedAt]: '2026-11-20T09:00:00.000Z',
          [HEADERS.deliveryOriginalTopic]: source,
          [HEADERS.deliveryOriginalPartition]: '0',
          [HEADERS.deliveryOriginalOffset]: String(40 + i),
          [HEADERS.deliveryLastFailedAt]: '2026-11-20T09:05:00.000Z',
          [HEADERS.deliveryFailure]: 'permanent',
        },
      };
    }),
  );
  await publisher.close();
});

describe('dlq CLI', () => {
  it('lists dead letters with their failure metadata', async () => {
    const { code, out } = await cli('list', '--consumer', consumer);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe(`2 dead letter(s) in ${deadLetterTopic(consumer)}`);
    expect(lines[1]).toContain(
      '0:0  permanent  attempts=3  first=2026-11-20T09:00:00.000Z  last=2026-11-20T09:05:00.000Z',
    );
    expect(lines[1]).toContain(`from=${source}/0/40`);
    expect(lines[1]).toContain(`id=${events[0].id}`);
    expect(lines[2]).toContain('error="SMTP 550: mailbox 1 unavailable"');
  });

  it('inspects one dead letter: headers, key and the value as JSON', async () => {
    const { code, out } = await cli('inspect', '0:1', '--consumer', consumer);
    expect(code).toBe(0);
    const d = JSON.parse(out) as Record<string, unknown>;
    expect(d).toMatchObject({
      partition: 0,
      offset: '1',
      key: events[1].resourceinstance,
      value: { Role: 'Sender' },
      attempts: 4,
      originalOffset: '41',
    });
    expect((d['headers'] as Record<string, string>)[HEADERS.type]).toBe('no.altinn.broker.uploadfailed');
    expect(await cli('inspect', '0:9', '--consumer', consumer)).toMatchObject({ code: 1 });
  });

  it('re-drives a dead letter to its original topic without the delivery headers', async () => {
    const { code, out } = await cli('redrive', '0:1', '--consumer', consumer);
    expect(code).toBe(0);
    expect(out).toContain(`re-driven 0:1 → ${source}`);
    const [record] = await readTopic(kafka, source);
    const original = toKafkaRecord(events[1], canonicalEventType(events[1].type));
    expect(record.key).toBe(original.key);
    expect(record.value.equals(original.value)).toBe(true);
    expect(record.headers).toEqual({
      ...original.headers,
      [HEADERS.deliveryRedrivenAt]: expect.any(String),
      [HEADERS.deliveryRedriveCount]: '1',
    });
  });

  it('refuses bad usage with exit code 2 and says why', async () => {
    expect(await cli('list')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--consumer is required'),
    });
    expect(await cli('redrive', '--consumer', consumer)).toMatchObject({
      code: 2,
      err: expect.stringContaining('redrive takes'),
    });
    expect(parseArgs(['redrive', 'x', '--to', 'sideways', '--consumer', 'Bad']).problems).toEqual([
      '"x" is not <partition>:<offset>',
      '--to must be original or retry',
      '--consumer "Bad" is not a consumer name',
    ]);
    expect((await cli('--help')).code).toBe(0);
  });
});
