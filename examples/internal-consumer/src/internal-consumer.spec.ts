import { BrokerEventType, TOPICS, canonicalEventType, toKafkaRecord } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { type ReceivedEvent, type RunningConsumer, startInternalConsumer } from './internal-consumer';

describe('the internal-consumer example (README: Subscribing your own service)', () => {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',');
  const kafka = new Kafka({ clientId: 'internal-consumer-spec', brokers, logLevel: logLevel.WARN });
  let consumer: RunningConsumer | undefined;

  afterAll(async () => {
    await consumer?.stop();
  });

  it('gets the events its headers filter selects, in its own group, and skips the others unread', async () => {
    const fileTransferId = randomUUID();
    const skipped = sampleEvent({ resourceinstance: fileTransferId, data: { Role: 'Sender' } });
    const wanted = sampleEvent({ resourceinstance: fileTransferId, data: { Role: 'Recipient' } });
    // No data: an empty record value and no altinn_role header. Kept by the role filter, and not parsed.
    const noData = sampleEvent({ resourceinstance: fileTransferId, data: undefined });
    const admin = kafka.admin();
    await admin.connect();
    if (!(await admin.listTopics()).includes(TOPICS.events))
      await admin.createTopics({ topics: [{ topic: TOPICS.events, numPartitions: 6 }] });
    await admin.disconnect();

    const received: ReceivedEvent[] = [];
    let arrived: () => void = () => undefined;
    const wantedArrived = new Promise<void>((resolve) => (arrived = resolve));
    const groupId = `team-x-spec-${randomUUID()}`;
    consumer = await startInternalConsumer({
      brokers,
      groupId,
      types: [BrokerEventType.Published],
      roles: ['Recipient'],
      fromBeginning: true, // a new group: read what the topic holds, so the test needs no timing
      onEvent: (event) => {
        if (event.fileTransferId !== fileTransferId) return;
        received.push(event);
        if (event.id === noData.id) arrived();
      },
    });

    // Same key, same partition, in this order: when `noData` arrives, the others have been passed over.
    const producer = kafka.producer();
    await producer.connect();
    for (const event of [skipped, wanted, noData]) {
      const record = toKafkaRecord(event, canonicalEventType(event.type));
      await producer.send({
        topic: record.topic,
        messages: [{ key: record.key, value: record.value, headers: record.headers }],
      });
    }
    await producer.disconnect();
    await wantedArrived;

    expect(received.map((e) => [e.id, e.type, e.role, e.data])).toEqual([
      [wanted.id, BrokerEventType.Published, 'Recipient', { Role: 'Recipient' }],
      [noData.id, BrokerEventType.Published, undefined, undefined],
    ]);
    expect(received[1]?.value?.length ?? 0).toBe(0);
    const check = kafka.admin();
    await check.connect();
    const groups = await check.describeGroups([groupId]);
    await check.disconnect();
    expect(groups.groups[0]?.members.length).toBe(1);
  });
});
