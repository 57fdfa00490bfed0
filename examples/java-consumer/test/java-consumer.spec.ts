/**
 * The Java example, built with Maven and run as a team would run it, against the real local Kafka: it must
 * handle exactly the events its header filter selects (an event without data included), flag a type the
 * gateway did not know, skip the rest unread, and commit every offset only after its work.
 */
import { BrokerEventType, TOPICS, canonicalEventType, toKafkaRecord } from '@broker-events/contracts';
import { loadSample, sampleEvent, sampleEventBody } from '@broker-events/contracts/testing';
import { startAppProcess } from '@broker-events/testing';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);
const projectDir = join(__dirname, '..');

interface Printed {
  outcome: 'handled' | 'unknown-type' | 'invalid';
  partition: number;
  offset: number;
  key: string;
  type: string;
  id?: string;
  role?: string | null;
  subject?: string;
  resourceinstance?: string;
  data?: unknown;
}

async function runJavaConsumer(env: Record<string, string>): Promise<{ lines: Printed[]; stderr: string }> {
  const classpath = readFileSync(join(projectDir, 'target', 'classpath.txt'), 'utf8').trim();
  const { stdout, stderr } = await run(
    'java',
    [
      '-cp',
      `${join(projectDir, 'target', 'classes')}:${classpath}`,
      'examples.brokerevents.BrokerEventsConsumer',
    ],
    // The timeout only stops a broken build from hanging CI; the consumer exits by itself once caught up.
    { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Printed);
  return { lines, stderr };
}

describe('the Java consumer example (examples/java-consumer)', () => {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',');
  const kafka = new Kafka({ clientId: 'java-consumer-spec', brokers, logLevel: logLevel.WARN });

  beforeAll(async () => {
    // Compiles with -Werror, runs the JUnit tests (the SDK's handling of data-less records among them) and
    // writes target/classpath.txt. Dependencies come from ~/.m2 (Maven Central the first time).
    await run('mvn', ['-B', '-q', '-Dstyle.color=never', 'verify'], {
      cwd: projectDir,
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }, 620_000);

  it('handles the events its headers select, an event without data too, flags an unknown type, and commits after its work', async () => {
    // Its own topic, so what other specs wrote cannot change what this one sees.
    const topic = `${TOPICS.events}.java-spec.${randomUUID()}`;
    const groupId = `team-java-spec-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });

    // One file transfer: one key, one partition, this order.
    const transfer = randomUUID();
    const events = {
      initialised: sampleEvent({
        resourceinstance: transfer,
        type: BrokerEventType.FileTransferInitialized,
        data: { Role: 'Sender' },
      }),
      publishedSender: sampleEvent({ resourceinstance: transfer, data: { Role: 'Sender' } }),
      publishedRecipient: sampleEvent({ resourceinstance: transfer, data: { Role: 'Recipient' } }),
      // The docs' example: capitalised type and no data, so an empty value and no altinn_role header.
      publishedNoData: sampleEvent({
        resourceinstance: transfer,
        type: 'no.altinn.broker.Published',
        data: undefined,
      }),
      newType: sampleEvent({
        resourceinstance: transfer,
        type: 'no.altinn.broker.filescanned',
        data: { Role: 'Sender' },
      }),
      purged: sampleEvent({
        resourceinstance: transfer,
        type: BrokerEventType.FilePurged,
        data: { Role: 'Sender' },
      }),
    };
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (const event of Object.values(events)) {
      const record = toKafkaRecord(event, canonicalEventType(event.type));
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: record.key, value: record.value, headers: record.headers }],
      });
    }
    await producer.disconnect();
    const noDataRecord = toKafkaRecord(events.publishedNoData, BrokerEventType.Published);
    expect(noDataRecord.value.length).toBe(0);

    const { lines, stderr } = await runJavaConsumer({
      KAFKA_BROKERS: brokers.join(','),
      TOPIC: topic,
      GROUP_ID: groupId,
      EVENT_TYPES: `${BrokerEventType.Published},${BrokerEventType.FilePurged}`,
      ROLES: 'Recipient',
      FROM_BEGINNING: 'true',
      EXIT_WHEN_CAUGHT_UP: 'true',
    });
    // Kafka client warnings may mention exceptions; a stack trace from the example itself may not.
    expect(stderr).not.toMatch(/Exception in thread|at examples\.brokerevents\./);

    expect(lines.map((l) => [l.outcome, l.id ?? null, l.type, l.role ?? null, l.data ?? null])).toEqual([
      [
        'handled',
        events.publishedRecipient.id,
        BrokerEventType.Published,
        'Recipient',
        { Role: 'Recipient' },
      ],
      ['handled', events.publishedNoData.id, BrokerEventType.Published, null, null],
      ['unknown-type', null, 'no.altinn.broker.filescanned', null, null],
    ]);
    const handled = lines.filter((l) => l.outcome === 'handled');
    expect(new Set(lines.map((l) => l.key))).toEqual(new Set([transfer]));
    expect(handled.map((l) => l.resourceinstance)).toEqual([transfer, transfer]);
    expect(handled[0]?.subject).toBe(events.publishedRecipient.subject);

    // Every offset committed, the skipped records' too: after a restart it would start after the last one.
    const partition = lines[0]?.partition ?? -1;
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const end = ends.find((p) => p.partition === partition)?.high;
    const at = committed[0]?.partitions.find((p) => p.partition === partition)?.offset;
    expect(end).toBe(String(Object.keys(events).length));
    expect(at).toBe(end);
  }, 180_000);

  it('reads what the real gateway wrote to the events topic', async () => {
    const token = `java-spec-${randomUUID()}`;
    const gateway = await startAppProcess('gateway', {
      KAFKA_BROKERS: brokers.join(','),
      WEBHOOK_TOKENS: token,
      ALLOWED_SOURCE_CIDRS: '127.0.0.1/32',
      LOG_LEVEL: 'warn',
    });
    const transfer = randomUUID();
    const bodies = [
      sampleEventBody({ resourceinstance: transfer, data: { Role: 'Sender' } }),
      sampleEventBody({ resourceinstance: transfer, data: { Role: 'Recipient' } }),
      // The event from Altinn's docs: capitalised type, no data.
      {
        ...(loadSample('seed-docs-example').body as Record<string, unknown>),
        id: randomUUID(),
        resourceinstance: transfer,
      },
      sampleEventBody({
        resourceinstance: transfer,
        type: 'no.altinn.broker.filescanned',
        data: { Role: 'Sender' },
      }),
    ];
    try {
      for (const body of bodies) {
        // 200 only after Kafka acknowledged the record (acks=all), so it is on the topic when this returns.
        const res = await fetch(`${gateway.url}/altinn/events/${token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(200);
      }
    } finally {
      expect(await gateway.stop()).toBe(0);
    }

    const { lines } = await runJavaConsumer({
      KAFKA_BROKERS: brokers.join(','),
      GROUP_ID: `team-java-spec-${randomUUID()}`,
      EVENT_TYPES: BrokerEventType.Published,
      ROLES: 'Recipient',
      FROM_BEGINNING: 'true',
      EXIT_WHEN_CAUGHT_UP: 'true',
    });
    // The topic also holds what other specs wrote: look at this transfer only.
    const ours = lines.filter((l) => l.key === transfer);
    expect(ours.map((l) => [l.outcome, l.id ?? null, l.role ?? null, l.data ?? null])).toEqual([
      ['handled', bodies[1]['id'], 'Recipient', { Role: 'Recipient' }],
      ['handled', bodies[2]['id'], null, null],
      ['unknown-type', null, null, null],
    ]);
  }, 180_000);

  it('refuses bad settings at startup, naming each bad variable', async () => {
    const failure = await runJavaConsumer({
      GROUP_ID: 'a group with spaces',
      ROLES: 'Admin',
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_PASSWORD: 'not-to-be-printed',
    }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/GROUP_ID/);
    expect(failure?.stderr).toMatch(/ROLES/);
    expect(failure?.stderr).toMatch(/KAFKA_USERNAME is required/);
    expect(failure?.stderr).not.toMatch(/not-to-be-printed/);
  }, 60_000);
});
