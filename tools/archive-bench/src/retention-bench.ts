/**
 * The cost of ARCHIVE_RETENTION_DAYS on a seeded archive: a second archive process with a retention limit that
 * expires about `share` of the transfers. Before its first run (one minute after start) it ingests a burst of
 * events (the baseline), then a second burst while the retention deletes; the retention's own log line gives
 * the rows it deleted and how long it took.
 */
import { randomUUID } from 'node:crypto';
import { canonicalEventType, parseCloudEvent, toKafkaRecord } from '@broker-events/contracts';
import { CoalescingPublisher, createKafka, kafkaConfigSchema } from '@broker-events/messaging';
import { loadConfig } from '@broker-events/config';
import { Client } from 'pg';
import { runArchive } from './run-archive';

export interface RetentionResult {
  days: number;
  transfersDeleted: number;
  eventsDeleted: number;
  deliveriesDeleted: number;
  seconds: number;
  rowsPerSecond: number;
  ingestBaselineEventsPerSecond: number;
  ingestDuringRetentionEventsPerSecond: number;
  burst: number;
}

export async function measureRetention(
  brokers: string,
  db: Client,
  databaseUrl: string,
  schema: string,
  share: number,
  burst: number,
): Promise<RetentionResult> {
  const q = (t: string) => `"${schema}".${t}`;
  const cut = (
    await db.query<{ t: Date }>(
      `SELECT percentile_disc($1::float8) WITHIN GROUP (ORDER BY last_received_at) AS t FROM ${q('transfers')}`,
      [share],
    )
  ).rows[0].t;
  const days = Math.ceil((Date.now() - cut.getTime()) / 86_400_000);
  const archive = await runArchive(brokers, databaseUrl, schema, {
    CONSUMER_NAME: `archive-retention-${Date.now().toString(36)}`,
    ARCHIVE_RETENTION_DAYS: String(days),
    ARCHIVE_RETENTION_INTERVAL_MINUTES: '600',
    LOG_LEVEL: 'info',
  });
  const started = Date.now();
  const kafka = createKafka(
    loadConfig('bench', kafkaConfigSchema, { KAFKA_BROKERS: brokers }),
    'bench-retention',
  );
  const publisher = new CoalescingPublisher(kafka);
  await publisher.connect();
  const resource = `urn:altinn:resource:bench-ingest-${Date.now().toString(36)}`;
  const archived = async (): Promise<number> =>
    Number(
      (
        await db.query<{ n: string | null }>(
          `SELECT sum(event_count)::text AS n FROM ${q('transfers')} WHERE resource = $1`,
          [resource],
        )
      ).rows[0].n ?? 0,
    );
  const ingest = async (target: number): Promise<number> => {
    const records = [];
    for (let i = 0; i < burst; i++) {
      const parsed = parseCloudEvent({
        specversion: '1.0',
        id: randomUUID(),
        type: 'no.altinn.broker.published',
        time: new Date().toISOString(),
        resource,
        resourceinstance: randomUUID(),
        source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
        subject: 'urn:altinn:organization:identifier-no:312000008',
        data: { Role: 'Recipient' },
      });
      if (!parsed.ok) throw new Error('bench event is invalid');
      records.push({
        ...toKafkaRecord(parsed.event, canonicalEventType(parsed.event.type)),
        topic: archive.topic,
      });
    }
    const t0 = Date.now();
    for (let i = 0; i < records.length; i += 1000) await publisher.publish(records.slice(i, i + 1000));
    while ((await archived()) < target) await new Promise((r) => setTimeout(r, 50));
    return Math.round(burst / ((Date.now() - t0) / 1000));
  };
  try {
    const baseline = await ingest(burst);
    if (Date.now() - started > 55_000)
      throw new Error('the baseline burst did not finish before the retention started');
    await new Promise((r) => setTimeout(r, Math.max(0, started + 62_000 - Date.now())));
    const during = await ingest(2 * burst);
    let line: { transfers: number; events: number; deliveries: number; seconds: number } | undefined;
    while (!line) {
      const found = archive
        .output()
        .split('\n')
        .filter((l) => l.includes('retention: deleted expired rows'))
        .pop();
      if (found) line = JSON.parse(found) as typeof line;
      else await new Promise((r) => setTimeout(r, 500));
      if (Date.now() - started > 3_600_000) throw new Error('retention did not finish within an hour');
    }
    const rows = line.transfers + line.events + line.deliveries;
    return {
      days,
      transfersDeleted: line.transfers,
      eventsDeleted: line.events,
      deliveriesDeleted: line.deliveries,
      seconds: Math.round(line.seconds * 10) / 10,
      rowsPerSecond: Math.round(rows / line.seconds),
      ingestBaselineEventsPerSecond: baseline,
      ingestDuringRetentionEventsPerSecond: during,
      burst,
    };
  } finally {
    await publisher.close();
    await archive.stop();
  }
}
